"""Pure domain of the registry service: 机构, 专科联盟, 备案, 理事会, 成员单位, 医师, 标牌 content.

Imports nothing but the standard library, ``libs.kit.{errors,clock}`` and python-stdnum, so rules can be
tested without a database and reused by any adapter.
"""
