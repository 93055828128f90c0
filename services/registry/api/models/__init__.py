"""Request and response bodies of the registry API (pydantic; requests refuse unknown fields)."""
