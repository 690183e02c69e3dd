"""Every platform model, imported in one place so the metadata (and Alembic) sees them all."""
from web.conversations.models import Conversation, Message
from web.orm import Base

__all__ = ["Base", "Conversation", "Message"]
