"""Database models. Import from here: `from models import User, Message`."""
from models.api_token import ApiToken
from models.attachment import Attachment
from models.conversation import Conversation, Membership
from models.message import Message
from models.user import User

__all__ = ["ApiToken", "Attachment", "Conversation", "Membership", "Message", "User"]
