"""Authentication and authorization at the gateway.

A bearer JWT is verified (``tokens``) with keys from ``keys``, the route is classified (``policy``), and the
verified token becomes the signed internal principal the services trust (``gate``). Client-supplied
``x-principal`` headers are always dropped by the proxy. Every refusal and each new token is recorded in the
security audit (``services.gateway.audit``).
"""
