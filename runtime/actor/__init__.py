"""Actors: one per active thread, serializing its turns through a bounded mailbox."""

from .actor import Envelope, SessionActor
from .mailbox import Mailbox, MailboxStatistics

__all__ = ["Envelope", "Mailbox", "MailboxStatistics", "SessionActor"]
