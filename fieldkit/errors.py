"""The one error catalogue.

Every error a person can meet -- a form author running the linter, an enumerator at
the station, a station talking to the aggregator -- has a stable ``code`` here, an
English message template and a fix, both marked for translation. Code raises
``FieldkitError(code, **params)``; web layers turn it into the one JSON error shape
``{"error": {"code", "message", "fix", "details"}}`` or a page in the user's
language. Linter findings use the same codes (see ``fieldkit.forms.lint``).

Codes are ``area.reason`` in snake case. Add new codes to the section of your area.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fieldkit.i18n import N_, gettext


@dataclass(frozen=True)
class ErrorSpec:
    code: str
    message: str          # English template with {placeholders}
    fix: str = ""         # what to do about it, same placeholders
    status: int = 400     # HTTP status when it reaches a web API


CATALOGUE: dict[str, ErrorSpec] = {}


def _define(code: str, message: str, fix: str = "", status: int = 400) -> None:
    if code in CATALOGUE:
        raise RuntimeError(f"error code defined twice: {code}")
    CATALOGUE[code] = ErrorSpec(code, message, fix, status)


class _SafeDict(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render(template: str, lang: str, params: dict[str, Any]) -> str:
    if not template:
        return ""
    return gettext(lang, template).format_map(_SafeDict(params))


class FieldkitError(Exception):
    """An error from the catalogue, with the parameters that fill its message."""

    def __init__(self, code: str, **params: Any) -> None:
        if code not in CATALOGUE:
            raise KeyError(f"unknown error code {code!r}: add it to fieldkit/errors.py")
        self.code = code
        self.params = params
        self.spec = CATALOGUE[code]
        super().__init__(self.message("en"))

    @property
    def status(self) -> int:
        return self.spec.status

    def message(self, lang: str = "en") -> str:
        return render(self.spec.message, lang, self.params)

    def fix(self, lang: str = "en") -> str:
        return render(self.spec.fix, lang, self.params)

    def to_json(self, lang: str = "en") -> dict[str, Any]:
        details = {k: v for k, v in self.params.items()
                   if isinstance(v, (str, int, float, bool)) or v is None}
        return {"error": {"code": self.code, "message": self.message(lang),
                          "fix": self.fix(lang), "details": details}}


def error_json(code: str, lang: str = "en", **params: Any) -> dict[str, Any]:
    return FieldkitError(code, **params).to_json(lang)


# --- general ----------------------------------------------------------------------
_define("general.internal", N_("Something went wrong on our side."),
        N_("Nothing was lost. Try again; if it keeps happening, tell your supervisor."), 500)
_define("general.not_found", N_("There is nothing at this address."),
        N_("Go back to the start page."), 404)
_define("general.forbidden", N_("You are not allowed to see this page."),
        N_("Sign in with an account that has this role."), 403)
_define("general.unauthenticated", N_("Please sign in first."),
        N_("Sign in, then open the page again."), 401)
_define("general.bad_request", N_("The request could not be understood: {reason}"),
        N_("Check what was sent and try again."), 400)
_define("general.csrf", N_("This form has expired."),
        N_("Reload the page and try again."), 400)

# --- forms (loader, expressions, linter) -----------------------------------------
_define("form.file_not_found", N_("No form file at {file}."),
        N_("Check the path; form files end in .yaml."))
_define("form.yaml_syntax", N_("The file is not valid YAML: {problem} (line {line}, column {column})."),
        N_("Fix the YAML at that line: check indentation, colons and quotes."))
_define("form.not_mapping", N_("The file does not hold a form: its top level must be a mapping."),
        N_("Start the file with 'id:', 'title:' and the other keys of forms/FORMAT.md."))
_define("form.schema", N_("{field}: {problem}"),
        N_("See forms/FORMAT.md for what this field may hold."))
_define("form.unknown_field", N_("'{field}' is not a field this place knows."),
        N_("Remove it or correct its spelling; forms/FORMAT.md lists the fields."))
_define("form.unknown_type", N_("'{type}' is not a question type."),
        N_("Use one of: {types}."))
_define("form.duplicate_id", N_("The id '{question}' is used more than once."),
        N_("Give every question and section its own id."))
_define("form.duplicate_option", N_("Option code '{code}' appears more than once."),
        N_("Give every option of a question its own code."))
_define("form.missing_options", N_("A {type} question needs options."),
        N_("Add an 'options:' list of {{code, label}} items."))
_define("form.unexpected_options", N_("A {type} question takes no 'options'."),
        N_("Remove 'options' (true_false options are built in)."))
_define("form.bad_bands", N_("The bands are not usable: {problem}."),
        N_("List bands from low to high, integers, without overlap; omit min or max only at the ends."))
_define("form.bad_rank", N_("'rank' is {rank} but there are {count} items."),
        N_("Use a rank between 1 and the number of options."))
_define("form.expression_syntax", N_("The expression in '{field}' does not parse: {problem} (column {column})."),
        N_("Correct the expression; forms/FORMAT.md describes the language."))
_define("form.expression_unknown_ref", N_("The expression in '{field}' names '{ref}', which is not a question of this form."),
        N_("Use the id of a question in this form."))
_define("form.expression_forward_ref", N_("The expression in '{field}' names '{ref}', which comes later in the form."),
        N_("Skip logic may only use answers given earlier; move the question or change the expression."))
_define("form.expression_current", N_("'.' may only be used in a constraint."),
        N_("Name the question by its id instead."))
_define("form.bad_exclusive", N_("Exclusive code '{code}' is not an option of this question."),
        N_("List only codes of this question's options under 'exclusive'."))
_define("form.quota_field_missing", N_("Quota field '{ref}' is not a question of this form."),
        N_("List ids of single-choice questions under 'quota_fields'."))
_define("form.quota_field_type", N_("Quota field '{ref}' is a {type} question; quota fields must be single choice."),
        N_("Use a single_choice question for a quota field."))
_define("form.id_mismatch", N_("The form id '{form_id}' differs from the file name '{stem}'."),
        N_("Name the file after the form id: {form_id}.yaml."))
# linter (fieldkit/forms/lint): {language} is English, Hindi or Marathi, {words} the offending words
_define("lint.pii_type", N_("A '{type}' question would collect {what}, which fieldkit never collects."),
        N_("Remove the question; ask for a band or a category instead, or about people in general."))
_define("lint.pii_name", N_("The {language} {part} asks for the respondent's name (\"{words}\")."),
        N_("Remove the question: the study never records names. Interviews are anonymous."))
_define("lint.pii_other_names", N_("The {language} {part} asks for the names of other people (\"{words}\")."),
        N_("Ask about roles (\"a broker\", \"police officers\"), never about named people."))
_define("lint.pii_phone", N_("The {language} {part} asks for a phone number (\"{words}\")."),
        N_("Remove the question: phone numbers identify people."))
_define("lint.pii_address", N_("The {language} {part} asks for an address (\"{words}\")."),
        N_("Ask for the city or site from a list instead (single_choice)."))
_define("lint.pii_birth_date", N_("The {language} {part} asks for a date of birth (\"{words}\")."),
        N_("Ask for the age group instead: a banded_number question or a choice of age bands."))
_define("lint.pii_exact_age", N_("This {type} question stores an exact age or year of birth (\"{words}\", {language})."),
        N_("Make it a banded_number question with age bands (e.g. 18-24, 25-34, ...), so only the band is stored."))
_define("lint.pii_id_number", N_("The {language} {part} asks for an ID number (\"{words}\")."),
        N_("Remove the question: Aadhaar, PAN, voter ID and similar numbers identify people."))
_define("lint.pii_photo", N_("The {language} {part} asks for a photo (\"{words}\")."),
        N_("Remove the question: photos identify people."))
_define("lint.pii_signature", N_("The {language} {part} asks for a signature (\"{words}\")."),
        N_("Remove it: consent is verbal or written and only its fact and mode are stored."))
_define("lint.pii_location", N_("The {language} {part} asks for a GPS fix or exact location (\"{words}\")."),
        N_("Ask for the city or site from a list instead."))
_define("lint.pii_email", N_("The {language} {part} asks for an e-mail address (\"{words}\")."),
        N_("Remove the question: e-mail addresses identify people."))
_define("lint.pii_social_handle", N_("The {language} {part} asks for a social-media handle (\"{words}\")."),
        N_("Ask which platforms people use, never for an account."))
_define("lint.pii_vehicle_number", N_("The {language} {part} asks for a vehicle number (\"{words}\")."),
        N_("Ask for the kind of vehicle or occupation instead; registration numbers identify people."))
_define("lint.pii_bands", N_("Every band of this age question is a single year, so it stores the exact age."),
        N_("Use bands that span several years, as in the report's annexure (18-24, 25-34, ...)."))
_define("lint.self_incrimination", N_("The {language} {part} asks the respondent about their own acts (\"{words}\"); this form has offender exposure."),
        N_("Ask what people or customers do or think (\"How easy do you think it is for people to...\"), never what the respondent did, does or would do."))
_define("lint.required_answer", N_("The question is marked 'required', but every question may be skipped."),
        N_("Remove 'required' from the question."))
_define("lint.constraint_forces_answer", N_("The constraint \"{source}\" demands an answer, but every question may be skipped."),
        N_("Remove answered() and count() conditions from constraints; a constraint may only check an answer that is given."))
_define("lint.constraint_unsatisfiable", N_("No answer can satisfy the constraint \"{source}\"."),
        N_("Correct the constraint so that the answers you expect pass it."))
_define("lint.mandatory_wording", N_("The {language} {part} says an answer is compulsory (\"{words}\")."),
        N_("Every question may be skipped; remove that wording."))
_define("lint.consent_missing", N_("There is no consent script."),
        N_("Write the consent script in en, hi and mr: research purpose, anonymity, the right to skip any question and to stop at any time, voluntary participation."))
_define("lint.consent_no_purpose", N_("The {language} consent script does not say that the study is research."),
        N_("Say what the study is for and that it is research."))
_define("lint.consent_no_anonymity", N_("The {language} consent script does not say that answers are anonymous."),
        N_("Say that no name or other identifying detail is recorded and answers are anonymous."))
_define("lint.consent_no_skip", N_("The {language} consent script does not say that any question may be skipped."),
        N_("Say that the respondent may skip any question."))
_define("lint.consent_no_stop", N_("The {language} consent script does not say that the respondent may stop at any time."),
        N_("Say that the respondent may stop the interview at any time."))
_define("lint.consent_no_voluntary", N_("The {language} consent script does not say that taking part is voluntary."),
        N_("Say that taking part is voluntary."))
_define("lint.consent_after_questions", N_("The consent block comes after the questions in the file."),
        N_("Put 'consent:' before 'eligibility:' and 'sections:' so reviewers read it first, as respondents do."))
_define("lint.consent_in_questions", N_("This question asks for consent, but consent is taken in the 'consent' block before any question."),
        N_("Remove the question; put the wording in consent.script and consent.question."))
_define("lint.missing_translation", N_("The {language} text of '{where}' is missing."),
        N_("Write the {language} text; every text needs en, hi and mr."))
_define("lint.untranslated", N_("The {language} text of '{where}' is a copy of the English."),
        N_("Translate it into {language} in Devanagari."))
_define("lint.not_devanagari", N_("The {language} text of '{where}' has no Devanagari letters."),
        N_("Write the {language} text in Devanagari script."))
_define("lint.same_as_hindi", N_("The Marathi text of '{where}' is the same as the Hindi."),
        N_("Check that it is Marathi; most sentences differ between the two."))
_define("lint.unknown_code", N_("'{field}' tests '{ref}' for '{code}', which is not one of its codes."),
        N_("Use one of: {codes}."))
_define("lint.note_reference", N_("'{field}' reads '{ref}', a note, which never has an answer."),
        N_("Refer to a question that is answered."))
_define("lint.selected_not_choice", N_("'{field}' uses selected() on '{ref}', a {type} question."),
        N_("Use selected() only on choice questions; compare other answers with = or !=."))
_define("lint.scale_randomized", N_("The options of this scale are shuffled."),
        N_("Keep a scale in order from low to high: remove 'randomize'."))
_define("lint.quota_field_hidden", N_("Quota field '{question}' has skip logic, so some interviews will not fill a quota cell."),
        N_("Ask quota fields of everyone: remove the relevance."))
_define("lint.empty_section", N_("Every question of section '{question}' is a note."),
        N_("Add questions or merge the notes into another section."))

# --- crypto, storage, export ------------------------------------------------------
_define("crypto.bad_header", N_("The clear header of submission {uuid} is not valid: {reason}"),
        N_("The submission was damaged or built by other software; it cannot be accepted."),
        422)
_define("crypto.bad_item", N_("Submission {uuid} is damaged: {reason}"),
        N_("Sync or copy the submission again from the station that made it."), 422)
_define("crypto.open_failed", N_("Submission {uuid} could not be decrypted: {reason}"),
        N_("Use the study's private key that matches key id {key_id}. If the key is right, "
           "the submission was changed after sealing; the other submissions are unaffected."),
        422)
_define("crypto.unknown_key",
        N_("Submission {uuid} was sealed to key {key_id}, which none of the given keys is."),
        N_("Pass the private key file for key id {key_id} with --key as well."), 422)
_define("crypto.wrong_passphrase", N_("The passphrase does not open the key file {path}."),
        N_("Type the passphrase chosen when this key was created (it is case-sensitive)."), 400)
_define("crypto.key_file", N_("{path} is not a usable study private key: {reason}"),
        N_("Pass the private key file written by 'fieldkit study init' or 'rotate-key'."), 400)
_define("crypto.key_exists", N_("{path} already exists; a key file is never overwritten."),
        N_("Choose a new path for the private key."), 409)
_define("crypto.key_in_study_dir",
        N_("The private key must not be written inside the study directory {path}."),
        N_("The study directory is copied to stations and servers; keep the private key "
           "elsewhere, ideally on the analyst's own encrypted drive."), 400)
_define("crypto.weak_passphrase",
        N_("The passphrase is too short: use at least {min} characters."),
        N_("Use a long passphrase, for example five or six random words."), 400)
_define("crypto.study_exists", N_("A study already exists in {path}."),
        N_("Use another directory, or 'fieldkit study rotate-key' to add a key."), 409)
_define("crypto.study_invalid", N_("The study configuration {path} is not valid: {reason}"),
        N_("Restore study.json from the study administrator's copy."), 400)
_define("storage.conflict",
        N_("Submission {uuid} is already stored with different content."),
        N_("Nothing was overwritten. Tell your supervisor; both versions are kept for review."),
        409)
_define("storage.bad_quota_field", N_("{field} is not a valid quota field id."),
        N_("Quota fields are question ids such as 'site' or 'gender'."), 400)
_define("export.unknown_source",
        N_("{path} is neither a station database, an aggregator database, a bundle nor a "
           "folder of submissions."),
        N_("Pass station.db, the aggregator's database, a .jsonl bundle or a folder of them."),
        400)
_define("export.no_forms", N_("No forms could be loaded from {path}: {reason}"),
        N_("Pass the study's forms folder with --forms."), 400)
_define("export.form_missing",
        N_("Submission {uuid} uses form {form_id} version {form_hash}, which is not in the "
           "forms folder."),
        N_("Add that form version to the forms folder; its answers are kept in the JSON file "
           "meanwhile."), 400)
_define("export.out_not_empty", N_("The output folder {path} already holds an export."),
        N_("Choose an empty folder, or add --force to replace the files."), 409)

# --- privacy ----------------------------------------------------------------------

# --- station ----------------------------------------------------------------------
_define("station.unknown_form", N_("This questionnaire is not on this station."),
        N_("Choose a questionnaire from the list on the start page."), 404)
_define("station.form_not_approved",
        N_("The questionnaire “{form}” is not an approved version, so it cannot be used."),
        N_("Sync with the aggregator to receive the approved version, or ask your supervisor."),
        403)
_define("station.not_enrolled", N_("This station is not enrolled in a study yet."),
        N_("Run “fieldkit station enroll URL TOKEN” with the code from your supervisor."), 409)
_define("station.training_no_sync", N_("A training station never sends data."),
        N_("Nothing to do: training interviews stay on this laptop, sealed."), 409)
_define("station.sync_failed", N_("Sync did not finish: {reason}"),
        N_("Nothing was lost. Check the connection to the aggregator and try again."), 502)
_define("station.link_invalid", N_("This link has already been used or has expired."),
        N_("Ask the interviewer for a new link."), 410)
_define("station.revoked", N_("The aggregator has revoked this station."),
        N_("Do not start interviews; call your supervisor."), 403)
_define("station.storage_unwritable",
        N_("This laptop cannot save right now: its disk is full or cannot be written."),
        N_("Nothing was lost: the interview stays open. Free some space (or call your "
           "supervisor), then open the interview again."), 507)

# --- sync and aggregator ----------------------------------------------------------
# request level (the whole request is refused and nothing is stored)
_define("sync.unauthenticated", N_("This station is not enrolled with the aggregator, or its "
                                   "credential is not valid."),
        N_("Enroll the station again with a new code from the study admin."), 401)
_define("sync.bad_content_type", N_("The aggregator accepts only JSON (got {content_type})."),
        N_("Send the request with Content-Type: application/json."), 415)
_define("sync.bad_encoding", N_("The body encoding {encoding} is not supported."),
        N_("Send the body uncompressed or gzip-compressed."), 415)
_define("sync.body_too_large", N_("The request is larger than the aggregator accepts "
                                  "({limit} bytes)."),
        N_("Send fewer submissions per request (the station does this by itself)."), 413)
_define("sync.malformed_json", N_("The request body is not valid JSON."),
        N_("Send the request again; if it keeps failing, update fieldkit on the station."), 400)
_define("sync.bad_request", N_("The request is not a valid sync request: {reason}"),
        N_("Update fieldkit on the station so that it speaks protocol version {protocol}."), 400)
_define("sync.unsupported_protocol", N_("Sync protocol version {got} is not supported "
                                        "(this aggregator speaks {supported})."),
        N_("Update fieldkit on the station or on the aggregator so that both match."), 400)
_define("sync.too_many_items", N_("A batch may hold at most {limit} submissions (got {count})."),
        N_("Send smaller batches."), 413)
_define("sync.not_ready", N_("The aggregator has no study yet."),
        N_("The study admin must run 'fieldkit aggregator init --study study.json' first."),
        503)
_define("sync.enroll_token_invalid", N_("This enrollment code is not valid."),
        N_("Check that the whole code was copied, or ask the study admin for a new one."), 401)
_define("sync.enroll_token_used", N_("This enrollment code has already been used."),
        N_("Each code works once. Ask the study admin for a new code."), 409)
_define("sync.enroll_token_expired", N_("This enrollment code has expired."),
        N_("Ask the study admin for a new code."), 410)
# item level (one submission is refused; the rest of the batch goes on)
_define("sync.bad_item", N_("Submission {uuid} is not a valid sealed submission: {reason}"),
        N_("The submission was damaged or built by other software; it cannot be accepted."),
        422)
_define("sync.ct_hash_mismatch", N_("Submission {uuid} does not match its ciphertext hash: it "
                                    "was changed or damaged on the way."),
        N_("Sync again from the station that made it; its copy is unaffected."), 422)
_define("sync.item_too_large", N_("Submission {uuid} is larger than {limit} bytes."),
        N_("Tell the study admin: this is not a normal interview."), 422)
_define("sync.unknown_form", N_("Submission {uuid} names a form version ({form_hash}) the "
                                "aggregator does not know."),
        N_("The study admin must register the forms the station uses "
           "('fieldkit aggregator register-forms')."), 422)
_define("sync.form_not_approved", N_("Submission {uuid} uses form version {form_hash}, which "
                                     "has no IRB approval recorded."),
        N_("Field only approved form versions. It is kept on the station and will be accepted "
           "once the approval is recorded."), 422)
_define("sync.form_mismatch", N_("Submission {uuid} names form {form_id}, but version "
                                 "{form_hash} belongs to form {registered}."),
        N_("The submission was damaged or built by other software; it cannot be accepted."),
        422)
_define("sync.unknown_key", N_("Submission {uuid} is sealed to key {key_id}, which is not a "
                               "key of this study."),
        N_("Enroll the station again so that it has the study's current key."), 422)
_define("sync.station_mismatch", N_("Submission {uuid} says it comes from station {claimed}, "
                                    "but was sent by station {station}."),
        N_("Each station sends only its own submissions."), 422)
_define("sync.station_revoked", N_("Station {station} has been revoked; its submissions are "
                                   "not accepted."),
        N_("Ask the study admin. The submissions stay sealed on the station."), 403)
_define("sync.unknown_station", N_("Station {station} is not enrolled with this aggregator."),
        N_("Check that the bundle comes from this study's station."), 422)
_define("sync.training_item", N_("Submission {uuid} was made in training mode."),
        N_("Training interviews are practice and never leave the station."), 422)
# client side (station) and bundles
_define("sync.unreachable", N_("The aggregator at {url} could not be reached: {reason}"),
        N_("Check the network and try again; everything not yet acknowledged is kept and "
           "will be sent next time."), 503)
_define("sync.server_error", N_("The aggregator answered with an error ({status})."),
        N_("Try again later; nothing is lost. If it keeps happening, tell the study admin."),
        502)
_define("sync.bad_reply", N_("The aggregator's answer could not be understood: {reason}"),
        N_("Check the aggregator address; update fieldkit if the versions differ."), 502)
_define("sync.bad_enrollment_code", N_("This is not a fieldkit enrollment code."),
        N_("Scan or paste the code that 'fieldkit aggregator add-station' printed."), 400)
_define("sync.bundle_invalid", N_("{path} is not a valid fieldkit bundle: {reason}"),
        N_("Write the bundle again on the station with 'fieldkit sync --to-file'."), 400)
_define("sync.bundle_signature", N_("The bundle {path} is not signed by station {station}."),
        N_("Write the bundle again on that station, or import with --allow-unsigned if you "
           "know where it comes from."), 400)
# administration (CLI)
_define("sync.no_study", N_("The aggregator has no study yet."),
        N_("Run 'fieldkit aggregator init --study study.json' first."), 400)
_define("sync.study_has_private_key", N_("{path} contains a private key; the aggregator must "
                                         "never hold one."),
        N_("Pass the study.json written by 'fieldkit study init' (public keys only)."), 400)
_define("sync.no_such_station", N_("There is no station {station}."),
        N_("List stations on the admin page, or create it with 'add-station'."), 404)
_define("sync.station_exists", N_("Station {station} already exists."),
        N_("Choose another name, or use --new-token to issue a new enrollment code."), 409)
_define("sync.bad_station_name", N_("'{station}' is not a valid station name."),
        N_("Use letters, digits, '-', '_' or '.', at most 64 characters, no personal names."),
        400)
_define("sync.no_such_form", N_("No registered form version has hash {form_hash}."),
        N_("Register the forms first with 'fieldkit aggregator register-forms DIR'."), 404)
_define("sync.bad_cell", N_("'{cell}' is not a quota cell (write field=code pairs)."),
        N_("Example: site=pune gender=female"), 400)
_define("sync.bad_role", N_("'{role}' is not a role (admin, supervisor or irb)."),
        N_("Choose admin, supervisor or irb."), 400)
_define("sync.user_exists", N_("User {username} already exists."),
        N_("Choose another user name."), 409)
_define("sync.bad_date", N_("'{value}' is not a date (YYYY-MM-DD)."),
        N_("Write the date like 2026-11-23."), 400)
