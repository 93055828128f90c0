"""WeChat mini-program login: ``wx.login()`` code → openid (jscode2session) → bound doctor → platform JWT.

A doctor binds once with a one-time bind code that a unit admin or the alliance office issues for them.
"""
