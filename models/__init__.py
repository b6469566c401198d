"""Database models. Import from here: `from models import User, Message`."""
from models.api_token import ApiToken
from models.attachment import Attachment
from models.audit import AuditEntry
from models.conversation import Conversation, Membership
from models.job_failure import JobFailure
from models.message import Message
from models.report import Report
from models.user import User

__all__ = ["ApiToken", "Attachment", "AuditEntry", "Conversation", "JobFailure", "Membership", "Message", "Report",
           "User"]
