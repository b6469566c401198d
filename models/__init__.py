"""Database models. Import from here: `from models import User, Message`."""
from models.account_code import AccountCode
from models.api_token import ApiToken
from models.attachment import Attachment
from models.audit import AuditEntry
from models.contact import Block, Contact, ContactRequest, PrivacySettings
from models.conversation import Conversation, Membership
from models.invite import Invite
from models.job_failure import JobFailure
from models.login_lockout import LoginLockout
from models.login_session import LoginSession
from models.message import Message, MessageMention, MessageReaction
from models.push_subscription import PushSubscription
from models.qr_login import QrLogin
from models.report import Report
from models.security_event import SecurityEvent
from models.two_factor import RecoveryCode, TwoFactor
from models.user import User

__all__ = ["AccountCode", "ApiToken", "Attachment", "AuditEntry", "Block", "Contact",
           "ContactRequest", "Conversation", "Invite", "JobFailure", "LoginLockout", "LoginSession", "Membership",
           "Message", "MessageMention", "MessageReaction",
           "PrivacySettings", "PushSubscription", "QrLogin", "RecoveryCode", "Report", "SecurityEvent", "TwoFactor",
           "User"]
