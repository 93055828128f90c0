"""The events library: the ONLY place events are serialised, published and consumed.

- ``envelope``  CloudEvents 1.0 envelope + correlation/causation ids; (de)serialisation.
- ``registry``  typed, versioned payload schemas (type → schema) and upcasting of old versions.
- ``schemas/``  the payload contracts each service publishes (shared, so consumers import no service).
- ``outbox``    write an event row in the caller's transaction (transactional outbox).
- ``relay``     publish outbox rows to JetStream in order with ``Nats-Msg-Id`` = event id.
- ``consumer``  idempotent inbox consumer with dead letters.
- ``streams``   subject / stream naming and provisioning.
"""

from libs.events.envelope import Envelope, new_envelope
from libs.events.registry import Event, EventData, event_type

__all__ = ["Envelope", "Event", "EventData", "event_type", "new_envelope"]
