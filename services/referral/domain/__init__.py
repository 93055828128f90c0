"""Pure domain of the referral service: 双向转诊, 绿色通道, 预留号源, 远程会诊, 转诊档案.

Imports only the standard library, ``libs.kit.{errors,clock}`` and ``cryptography``: no web framework,
no ORM, no message bus. Commands are methods or functions named imperatively; what happened is
recorded as past-tense milestones and events.
"""
