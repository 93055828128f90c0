"""Inbound Standard Webhooks from the 客服专线 (hotline) and 急救网络 (emergency transport) systems."""
