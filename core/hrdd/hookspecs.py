"""Hook specifications: the public contract between the hrdd core and its plugins.

Plugins implement these with ``from hrdd import hookimpl``. Hook names never change; a hook
grows by gaining arguments (implementations may accept any subset of them, so old plugins
keep working). Hook implementations must not give arguments default values.

Check hooks collect every implementation's result: the core calls each plugin on its own,
so one plugin's failure becomes an ``error`` finding naming it and never hides another's
findings. No verdict depends on registration order. ``firstresult`` is used only where one
answer is wanted by construction (which plugin renders a format).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from hrdd.context import CheckContext
    from hrdd.model import (
        Assessment,
        CapabilityProfile,
        Finding,
        Item,
        PluginInfo,
        PluginSetup,
        Transaction,
    )

PROJECT_NAME = "hrdd"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)


# --------------------------------------------------------------------------------------
# Plugin metadata
# --------------------------------------------------------------------------------------


@hookspec
def hrdd_plugin_info() -> PluginInfo:
    """Describe the plugin; called once when an engine loads it, before any configuration.

    :returns: a :class:`hrdd.PluginInfo` with the guidance clause ids the plugin covers, the
        rules it may report (id, title, clauses), and the cerberus schema of its
        ``[plugins.<name>.config]`` table (an empty schema accepts an empty table only).
        Name and version are filled in by the core from the distribution's metadata.
        Every enabled plugin must implement this hook, and every finding a plugin returns
        must carry one of the rule ids it declares here (anything else is an ``error``
        finding, HRDD-CORE-002).

    .. versionadded:: 0.1
    """


@hookspec
def hrdd_configure(config: Mapping[str, Any], policy_dir: Path) -> PluginSetup | None:
    """Prepare the plugin for one engine; called once per engine, after the plugin's config
    table has been validated and normalised with its cerberus schema (defaults applied).

    Load data files here, not per transaction. Config values the plugin's schema marks as
    paths (``"meta": {"path": True}``) arrive already resolved (absolute, against the policy
    file that set them); resolve any other relative path against ``policy_dir``.
    Raise :class:`hrdd.PolicyError` with the file and row when a data file is missing or
    malformed: the engine is then not built and the CLI exits with code 2.

    :param config: the plugin's normalised config table.
    :param policy_dir: the directory of the policy file that configured the plugin.
    :returns: ``None`` when the plugin needs no preparation; otherwise a
        :class:`hrdd.PluginSetup` with the data sets it loaded (each with name, version,
        sha256, source, licence and date, named in every report's provenance) and the state
        its checks read back as ``context.state``.

    .. versionadded:: 0.1
    """


# --------------------------------------------------------------------------------------
# Item capability checks
# --------------------------------------------------------------------------------------


@hookspec
def hrdd_item_profile(
    item: Item, transaction: Transaction, context: CheckContext
) -> CapabilityProfile | None:
    """Classify what an item can do; called once per item, before any check hook.

    Profiles from every implementation are merged (union of capabilities, highest misuse
    potential) and later hooks read the result with ``context.profile(item)``. This is how
    facts one plugin derives reach other plugins without importing them.

    :param item: the item to classify.
    :param transaction: the whole transaction (end user, contract...), read-only.
    :param context: this plugin's view of the assessment (config, shared profiles).
    :returns: ``None`` when the plugin does not classify items; otherwise a
        :class:`hrdd.CapabilityProfile` for ``item``.

    .. versionadded:: 0.1
    """


@hookspec
def hrdd_check_item(item: Item, transaction: Transaction, context: CheckContext) -> list[Finding] | None:
    """Check one item's surveillance capabilities (intended and unintended), its design and
    its customisation; called once per item, after every profile hook.

    :param item: the item to check.
    :param transaction: the whole transaction, read-only.
    :param context: this plugin's view of the assessment; ``context.profile(item)`` gives the
        merged capability profile.
    :returns: ``None`` when the check does not apply to this item (recorded as not
        applicable); an empty list when it applied and found nothing (recorded as ``pass``);
        otherwise the findings.

    .. versionadded:: 0.1
    """


# --------------------------------------------------------------------------------------
# End-user checks
# --------------------------------------------------------------------------------------


@hookspec
def hrdd_transaction_facts(transaction: Transaction, context: CheckContext) -> Mapping[str, Any] | None:
    """Derive facts about the transaction that other plugins' checks weigh (the destination's
    risk tier, its ICCPR status, whether the end user has a credible misuse record...);
    called once per transaction, after every item profile and before any check hook.

    Every implementation's facts are merged into one read-only mapping that checks read with
    ``context.fact(name)``. Names are dotted and start with their subject
    (``destination.risk_tier``, ``end_user.credible_misuse``); ``docs/hooks.md`` lists the
    names the shipped plugins publish. Two plugins giving one name different values is an
    ``error`` finding (HRDD-CORE-004). A fact nobody published is *unknown*: readers must not
    treat it as favourable.

    :param transaction: the transaction, read-only.
    :param context: this plugin's view of the assessment; item profiles are ready, other
        plugins' facts are not.
    :returns: ``None`` or an empty mapping when the plugin publishes nothing for this
        transaction; otherwise JSON-ready values by fact name.

    .. versionadded:: 0.1
    """


@hookspec
def hrdd_check_end_user(transaction: Transaction, context: CheckContext) -> list[Finding] | None:
    """Check the end user, every other end user, every party and related party, and the
    destination country (record, laws, lists, red flags); called once per transaction,
    after the item hooks.

    :param transaction: the transaction, read-only.
    :param context: this plugin's view of the assessment; profiles of every item are ready.
    :returns: ``None`` when not applicable; an empty list when the check applied and found
        nothing; otherwise the findings.

    .. versionadded:: 0.1
    """


# --------------------------------------------------------------------------------------
# Contract-safeguard checks
# --------------------------------------------------------------------------------------


@hookspec
def hrdd_check_contract(transaction: Transaction, context: CheckContext) -> list[Finding] | None:
    """Check contractual, technical and procedural safeguards before and after export,
    grievance mechanisms and monitoring; called once per transaction, after the end-user
    hooks.

    :param transaction: the transaction, read-only.
    :param context: this plugin's view of the assessment.
    :returns: ``None`` when not applicable; an empty list when the check applied and found
        nothing; otherwise the findings.

    .. versionadded:: 0.1
    """


# --------------------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------------------


@hookspec(firstresult=True)
def hrdd_render(assessment: Assessment, format: str) -> str | None:
    """Render an assessment as text in a named format; called when a report is written.

    The first implementation that returns a string wins, so exactly one plugin should
    answer for each format name. The built-in renderers answer ``json``, ``text``,
    ``markdown`` and ``html``.

    :param assessment: the assessment to render.
    :param format: the format name the user asked for (``json``, ``text``...).
    :returns: ``None`` when this plugin does not render ``format``; otherwise the document.

    .. versionadded:: 0.1
    """


@hookspec
def hrdd_render_formats() -> Sequence[str]:
    """List the format names this plugin renders; called to validate ``--format`` and to
    list formats in ``hrdd plugins``.

    :returns: the format names (an empty sequence when the plugin renders nothing).

    .. versionadded:: 0.1
    """


@hookspec
def hrdd_report_contribution(assessment: Assessment, transaction: Transaction) -> Mapping[str, Any] | None:
    """Contribute this transaction's entry to aggregate reports (for example the public
    transparency report); called once per assessment, after the decision is taken.

    The answer is stored in the report under ``contributions.<plugin>``, so an aggregate
    report can later be built from stored reports alone (the transaction is not kept).

    :param assessment: the assessment, already decided.
    :param transaction: the transaction it decided, read-only.
    :returns: ``None`` when the plugin contributes nothing for it; otherwise a JSON-ready
        mapping, with personal data, customer names and free text already removed.
        A plugin that raises or returns something other than a mapping is named under
        ``contributions.errors``.

    .. versionadded:: 0.1
    """
