"""Versioned code lists: GB/T 2260 行政区划代码 and 医疗机构诊疗科目名录."""
