"""Which fields of which tables the Mana webapp encrypts: its crypto registry, pinned at HEAD.

Upstream keeps this as code (`apps/mana/apps/web/src/lib/data/crypto/registry.ts` at
`907a3add4`, summarised in shared/spec/encryption-and-account.md §2.2); no API serves it. Keys
are Dexie table names, which are the sync `collection` names. Only top-level fields are listed:
an array or object field is sealed as one envelope.

Semantics (spec §2.1): a strict allowlist. A table that is missing, disabled or has no fields
is plaintext (`encrypted_fields` returns None). Disabled entries stay listed so a reader can
tell "deliberately plaintext" from "unknown table". The website tables are off on purpose:
their content is published.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

# The upstream commit this table mirrors; bump it together with the table.
REGISTRY_COMMIT: Final = "907a3add4"


@dataclass(frozen=True, slots=True)
class RegistryEntry:
    """One table's entry: `enabled` and the encrypted top-level field names."""

    enabled: bool
    fields: tuple[str, ...]


def _on(*fields: str) -> RegistryEntry:
    return RegistryEntry(True, fields)


def _off() -> RegistryEntry:
    return RegistryEntry(False, ())


# Entries marked "HEAD only" do not exist at OLD (5e01763ca). aiMissions, globalTags,
# tagGroups and workbenchScenes existed unencrypted before ("Phase 2e flip"), so old rows of
# them can still be plaintext: readers must accept both forms.
_REGISTRY: dict[str, RegistryEntry] = {
    "messages": _on("messageText"),
    "conversations": _on("title"),
    "chatTemplates": _on("name", "description", "systemPrompt", "initialQuestion"),
    "whoGames": _on("revealedName", "notes"),
    "whoMessages": _on("content"),
    "notes": _on("title", "content"),
    "journalEntries": _on("title", "content"),
    "dreams": _on("title", "content", "transcript", "interpretation", "aiInterpretation", "location"),
    "dreamSymbols": _on("meaning"),
    "memos": _on("title", "intro", "transcript"),
    "memories": _on("title", "content"),
    "contacts": _on("firstName", "lastName", "email", "phone", "mobile", "birthday", "street", "city", "postalCode", "country", "notes", "website", "linkedin", "twitter", "instagram", "github"),
    "tasks": _on("title", "description", "subtasks", "metadata"),
    "events": _on("title", "description", "location"),
    "periods": _on("notes"),
    "periodDayLogs": _on("notes", "mood"),
    "meals": _on("description", "portionSize", "foods"),
    "plants": _on("name", "careNotes", "temperature", "soilType"),
    "cards": _on("front", "back"),
    "cardDecks": _on("name", "description"),
    "presiDecks": _on("title", "description"),
    "slides": _on("content"),
    "documents": _on("title", "content"),
    "files": _on("name", "originalName"),
    "images": _on("prompt", "negativePrompt"),
    "boards": _on("name", "description"),
    "boardItems": _on("textContent"),
    "songs": _on("title"),
    "mukkePlaylists": _on("name", "description"),
    "questions": _on("title", "description"),
    "answers": _on("content"),
    "socialEvents": _on("title", "description", "location"),
    "eventGuests": _on("name", "email", "phone", "note"),
    "transactions": _on("description", "note"),
    "links": _on("title", "description"),
    "invItems": _on("description"),
    "places": _on("name", "description", "address"),
    "locationLogs": _on("latitude", "longitude", "accuracy", "altitude", "speed", "heading"),
    "playgroundSnippets": _on("name", "systemPrompt"),
    "playgroundConversations": _on("title", "systemPrompt"),
    "playgroundMessages": _on("content"),
    "newsArticles": _on("title", "excerpt", "content", "htmlContent", "author"),
    "newsCategories": _on("name"),
    "newsPreferences": _on("selectedTopics", "blockedSources", "topicWeights", "sourceWeights", "customFeeds"),
    "newsReactions": _on("reaction", "sourceSlug", "topic"),
    "bodyExercises": _on("name", "notes"),
    "bodyRoutines": _on("name", "description"),
    "bodyWorkouts": _on("title", "notes"),
    "bodySets": _on("weight", "reps", "notes"),
    "bodyMeasurements": _on("value", "notes"),
    "bodyChecks": _on("energy", "sleep", "soreness", "mood", "notes"),
    "bodyPhases": _on("startWeight", "targetWeight", "notes"),
    "timeBlocks": _on("title", "description"),
    "firsts": _on("title", "motivation", "note", "expectation", "reality", "sharedWith"),
    "lasts": _on("title", "meaning", "note", "whatIKnewThen", "whatIKnowNow", "reclaimedNote", "sharedWith"),  # HEAD only
    "lastsCooldown": _off(),
    "guides": _on("title", "description"),
    "sections": _on("title", "content"),
    "steps": _on("title", "content"),
    "drinkEntries": _on("name", "note"),
    "drinkPresets": _on("name"),
    "recipes": _on("title", "description", "ingredients", "steps"),
    "stretchExercises": _on("name", "description"),
    "stretchRoutines": _on("name", "description", "exercises"),
    "stretchSessions": _on("routineName", "notes"),
    "stretchAssessments": _on("tests", "painRegions", "notes"),
    "stretchReminders": _on("name"),
    "mailDrafts": _on("to", "cc", "subject", "body", "htmlBody"),
    "meditatePresets": _on("name", "description", "bodyScanSteps"),
    "meditateSessions": _on("notes"),
    "meditateSettings": _off(),
    "sleepEntries": _on("notes"),
    "sleepHygieneLogs": _off(),
    "sleepHygieneChecks": _on("name", "description"),
    "sleepSettings": _off(),
    "moodEntries": _on("withWhom", "notes"),
    "moodSettings": _off(),
    "kontextDoc": _on("content"),
    "userContext": _on("about", "interests", "routine", "nutrition", "leisure", "goals", "social", "freeform"),  # HEAD only
    "meImages": _on("label", "tags"),  # HEAD only
    "wardrobeGarments": _on("name", "brand", "color", "size", "material", "tags", "notes"),  # HEAD only
    "wardrobeOutfits": _on("name", "description", "tags"),  # HEAD only
    "comicStories": _on("title", "description", "storyContext", "tags", "panelMeta"),  # HEAD only
    "comicCharacters": _on("name", "description", "addPrompt", "tags"),  # HEAD only
    "augurEntries": _on("source", "claim", "feltMeaning", "expectedOutcome", "outcomeNote", "tags", "livingOracleSnapshot"),  # HEAD only
    "agentKontextDocs": _on("content"),  # HEAD only
    "quizzes": _on("title", "description", "category", "tags"),  # HEAD only
    "quizQuestions": _on("questionText", "explanation", "options"),  # HEAD only
    "agents": _on("systemPrompt", "memory"),  # HEAD only
    "aiMissions": _on("title", "conceptMarkdown", "objective"),  # HEAD only
    "userTagPresets": _on("name", "tags"),  # HEAD only
    "globalTags": _on("name"),  # HEAD only
    "tagGroups": _on("name"),  # HEAD only
    "workbenchScenes": _on("name", "description"),  # HEAD only
    "articles": _on("title", "excerpt", "content", "htmlContent", "author", "userNote"),  # HEAD only
    "articleHighlights": _on("text", "note", "contextBefore", "contextAfter"),  # HEAD only
    "libraryEntries": _on("title", "originalTitle", "creators", "review", "tags"),  # HEAD only
    "writingDrafts": _on("title", "briefing", "styleOverrides", "references"),  # HEAD only
    "writingDraftVersions": _on("content", "summary"),  # HEAD only
    "writingGenerations": _on("prompt", "output"),  # HEAD only
    "writingStyles": _on("name", "description", "samples", "extractedPrinciples"),  # HEAD only
    "invoices": _on("clientSnapshot", "subject", "notes", "terms", "lines"),  # HEAD only
    "invoiceClients": _on("name", "address", "email", "vatNumber", "iban", "notes"),  # HEAD only
    "broadcastCampaigns": _on("name", "subject", "preheader", "fromName", "fromEmail", "replyTo", "content", "audience"),  # HEAD only
    "broadcastTemplates": _on("name", "description", "subject", "content"),  # HEAD only
    "broadcastSettings": _on("defaultFromName", "defaultFromEmail", "defaultReplyTo", "defaultFooter", "legalAddress", "unsubscribeLandingCopy"),  # HEAD only
    "websites": _off(),
    "websitePages": _off(),
    "websiteBlocks": _off(),
    "invoiceSettings": _on("senderName", "senderAddress", "senderStreet", "senderZip", "senderCity", "senderCountry", "senderEmail", "senderVatNumber", "senderIban", "senderBic", "footer", "defaultTerms"),  # HEAD only
}

ENCRYPTION_REGISTRY: Final[Mapping[str, RegistryEntry]] = MappingProxyType(_REGISTRY)

# Fields no registry entry may ever name: the server, indexes and sync depend on them (§2.6.4).
STRUCTURAL_FIELDS: Final = frozenset({
    "id", "spaceId", "authorId", "visibility", "userId", "createdAt", "updatedAt",
    "deletedAt", "__fieldMeta", "_updatedAtIndex",
})


def encrypted_fields(table: str) -> tuple[str, ...] | None:
    """The fields of `table` to encrypt on write, or None when the table is plaintext
    (missing, disabled or empty), as upstream's `getEncryptedFields`."""
    entry = _REGISTRY.get(table)
    if entry is None or not entry.enabled or not entry.fields:
        return None
    return entry.fields


def is_encrypted_field(table: str, field: str) -> bool:
    fields = encrypted_fields(table)
    return fields is not None and field in fields


def disabled_tables() -> frozenset[str]:
    """Tables listed but switched off (deliberately plaintext)."""
    return frozenset(name for name, entry in _REGISTRY.items() if not entry.enabled)
