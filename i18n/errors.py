"""Refusals as pages show them: API and socket error messages stay English (their `code` is the
stable part, docs/protocol.md "Errors"), and pages in another language show the translation of
the codes listed here instead, or the English message for a code not listed. The chat page gets
this table in its catalogue (i18n.client_catalogue) and applies it to every error it shows."""
from __future__ import annotations

from flask_babel import get_locale, gettext, lazy_gettext

from i18n import local_datetime

ERROR_TEXTS = {
    "account_deactivated": lazy_gettext("This account is deactivated."),
    "account_locked": lazy_gettext("Too many failed logins: this account is locked for now. Try again later."),
    "account_suspended": lazy_gettext("This account is suspended."),
    "already_a_member": lazy_gettext("Already a member of this group."),
    "already_an_owner": lazy_gettext("That member is an owner already."),
    "already_contacts": lazy_gettext("You are contacts already."),
    "already_reported": lazy_gettext("You have reported this message already."),
    "attachment_not_ready": lazy_gettext("This file is not ready (upload incomplete or removed)."),
    "broadcast_already_sent": lazy_gettext("This broadcast was sent already (the same form, sent again)."),
    "busy": lazy_gettext("Too much is waiting for the server: wait a moment, then try again."),
    "cannot_add_self": lazy_gettext("You cannot add yourself as a contact."),
    "cannot_block_self": lazy_gettext("You cannot block yourself."),
    "cannot_message_user": lazy_gettext("This person does not accept messages from you."),
    "cannot_report_own_message": lazy_gettext("You cannot report your own message."),
    "cannot_request_contact": lazy_gettext("This person does not accept contact requests from you."),
    "code_exhausted": lazy_gettext("That code was tried too many times: ask for a new one."),
    "code_expired": lazy_gettext("That code has expired: ask for a new one."),
    "common_password": lazy_gettext("That password is one of the most common ones: choose another."),
    "contact_not_found": lazy_gettext("This person is not one of your contacts."),
    "contacts_only": lazy_gettext("This person accepts direct chats from their contacts only: send a contact request."),
    "code_used": lazy_gettext("That code was used already: wait for the next one, or use another recovery code."),
    "conversation_archived": lazy_gettext("This conversation is archived: nobody can post."),
    "conversation_not_found": lazy_gettext("No such conversation."),
    "email_taken": lazy_gettext("That email address is already registered."),
    "empty_file": lazy_gettext("The file is empty."),
    "file_not_found": lazy_gettext("This file no longer exists."),
    "file_removed": lazy_gettext("This file was removed."),
    "file_too_large": lazy_gettext("The file is too large."),
    "group_deleting": lazy_gettext("This group is being deleted: it cannot be unarchived."),
    "group_is_private": lazy_gettext("This group is private: a member must add you."),
    "group_not_found": lazy_gettext("No such group."),
    "internal_error": lazy_gettext("Something went wrong; nothing was changed."),
    "invalid_address": lazy_gettext("Give exactly one of username, email or phone."),
    "invalid_code": lazy_gettext("That code is not right."),
    "invalid_credentials": lazy_gettext("Wrong username or password."),
    "invalid_email": lazy_gettext("That is not an email address."),
    "invalid_invite": lazy_gettext("Registration needs an invitation: this one is unknown, used or expired."),
    "invalid_language": lazy_gettext("Choose one of the languages offered."),
    "last_owner": lazy_gettext("A group keeps at least one owner: appoint another first."),
    "member_not_found": lazy_gettext("That person is not a member of this group."),
    "message_not_found": lazy_gettext("No such message."),
    "message_removed": lazy_gettext("This message was removed."),
    "network_error": lazy_gettext("The server cannot be reached. Check your connection."),
    "not_a_group_admin": lazy_gettext("Only the group's owners and admins can do that."),
    "not_a_group_owner": lazy_gettext("Only the group's owners can do that."),
    "not_a_member": lazy_gettext("You are not a member of this conversation."),
    "not_allowed": lazy_gettext("This file has not been shared with you."),
    "not_an_operator": lazy_gettext("Only operators can do that."),
    "not_blocked": lazy_gettext("You have not blocked this person."),
    "not_the_author": lazy_gettext("Only the author can change this message."),
    "password_contains_username": lazy_gettext("The password must not contain the username."),
    "password_unchanged": lazy_gettext("Choose a password different from the current one."),
    "phone_taken": lazy_gettext("That phone number is already registered."),
    "push_endpoint_not_allowed": lazy_gettext("This browser's push service is not one this server sends "
                                              "notifications to."),
    "push_endpoint_taken": lazy_gettext("This browser's notifications belong to another account: turn them off "
                                        "there first."),
    "quota_exceeded": lazy_gettext("Your storage quota is used up."),
    "rate_limited": lazy_gettext("Too many attempts: wait a moment, then try again."),
    "registration_closed": lazy_gettext("Registration is closed: ask an operator for an account."),
    "request_not_found": lazy_gettext("No such contact request."),
    "request_pending": lazy_gettext("You have asked this person already; wait for their answer."),
    "storage_unavailable": lazy_gettext("File storage is briefly unavailable; nothing was changed. Try again."),
    "two_factor_unavailable": lazy_gettext("Codes from the authenticator app cannot be checked right now: use a "
                                           "recovery code, and tell the operators."),
    "type_not_allowed": lazy_gettext("This type of file is not accepted."),
    "unauthorized": lazy_gettext("Log in again."),
    "unavailable": lazy_gettext("The service is briefly unavailable; nothing was changed. Try again."),
    "unconfirmed": lazy_gettext("Confirm your address first: enter the code we sent you."),
    "user_blocked": lazy_gettext("You blocked this person: unblock them first."),
    "user_not_found": lazy_gettext("No such user."),
    "username_taken": lazy_gettext("That username is taken."),
    "wrong_code": lazy_gettext("That code is wrong or has expired. Ask for a new one if needed."),
}

# Refusals of a form's field whose English message is worded for programs ("name must not be
# empty."): pages show these sentences instead, in every language, English included.
FIELD_TEXTS = {
    "invalid_description": lazy_gettext("A description has at most 1,000 characters, without control characters."),
    "invalid_display_name": lazy_gettext("A display name has 1 to 64 characters, without control characters."),
    "invalid_name": lazy_gettext("Give the group a name of 1 to 80 characters, without control characters."),
    "invalid_status_text": lazy_gettext("A status has at most 140 characters, without control characters."),
    "invalid_text": lazy_gettext("A note has at most 1,000 characters, without control characters."),
}


def english() -> bool:
    locale = get_locale()
    return locale is None or locale.language == "en"


def error_text(code: str, message: str) -> str:
    """What a page shows for a refusal: the English message itself (more precise), or in another
    language the translation of its code when there is one; a field's refusal worded for programs,
    the sentence FIELD_TEXTS has for people, in every language."""
    if code in FIELD_TEXTS:
        return str(FIELD_TEXTS[code])
    if english() or code not in ERROR_TEXTS:
        return message
    return str(ERROR_TEXTS[code])


def refusal_text(error) -> str:
    """error_text, with what a suspension refusal adds (actions.accounts.AccountSuspended): until
    when, in the reader's time zone, and the operator's reason."""
    if error.code == "account_suspended" and getattr(error, "until", None) is not None:
        return gettext("This account is suspended until %(until)s. Reason: %(reason)s",
                       until=local_datetime(error.until), reason=error.reason)
    return error_text(error.code, error.message)


def error_table() -> dict[str, str]:
    """The table in the request's language, for the chat page (in English only FIELD_TEXTS)."""
    table = {} if english() else {code: str(text) for code, text in ERROR_TEXTS.items()}
    return {**table, **{code: str(text) for code, text in FIELD_TEXTS.items()}}



