"""Policies: loading, ``extends`` chains, merging, and every way a policy can be refused.

A refused policy must say which file, where in it (a JSON path) and what is wrong, and
report every problem of the document at once, so a policy team fixes it in one pass.
"""

from __future__ import annotations

import json
from importlib import metadata

import pytest

import hrdd
from hrdd.errors import PluginLoadError, PolicyError
from hrdd.policy import Policy

CAP = "hrdd-item-capability"
CAP_TABLE = f"$.plugins['{CAP}']"
# The plugins policies/baseline.toml enables, in the order the engine loads them (by name).
BASELINE_PLUGINS = [
    "hrdd-contract-safeguards",
    "hrdd-export-controls",
    "hrdd-human-rights-record",
    "hrdd-item-capability",
    "hrdd-legal-framework",
    "hrdd-program",
    "hrdd-public-reporting",
    "hrdd-sanctions-programs",
    "hrdd-screening",
    "hrdd-stakeholders",
]

EXTENSION = """
    from hrdd import Finding, PluginInfo, RuleInfo, hookimpl

    __version__ = "1.2.3"

    @hookimpl
    def hrdd_plugin_info():
        return PluginInfo(
            rules=[RuleInfo("ACME-001", "Acme test rule")],
            config_schema={"threshold": {"type": "integer", "default": 1}},
        )

    @hookimpl
    def hrdd_check_end_user(transaction, context):
        return []
"""


def problems_of(excinfo: pytest.ExceptionInfo[PolicyError]) -> list[tuple[str, str, str]]:
    return [(p.source, p.path, p.message) for p in excinfo.value.problems]


def cap_version() -> str:
    return metadata.version(CAP)


# --------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------


def test_baseline_loads_by_name():
    engine = hrdd.Engine.from_policy("baseline")
    assert engine.policy.name == "baseline"
    assert engine.policy.source == "builtin:baseline"
    assert [p.name for p in engine.plugins.plugins] == BASELINE_PLUGINS
    hard = {"hrdd-sanctions-programs", "hrdd-screening"}  # legal gates: no waiver can clear them
    for name in BASELINE_PLUGINS:
        settings = engine.policy.plugin(name)
        assert settings is not None, name
        expected = hrdd.Enforcement.HARD if name in hard else hrdd.Enforcement.MANDATORY
        assert settings.enforcement == expected, name
    # hrdd ships no screening list: a company policy names its own (HRDD-SCR-005 until then)
    assert engine.plugins.by_name["hrdd-screening"].config["lists"] == []


def test_the_capability_only_policy_has_the_baselines_capability_settings(capability_only_policy):
    """The core tests use capability_only_policy in place of the baseline; it must configure
    hrdd-item-capability exactly as the baseline does."""
    alone = Policy.load(capability_only_policy)
    baseline = Policy.load("baseline")
    assert [p.name for p in alone.plugins] == [CAP]
    ours, theirs = alone.plugin(CAP), baseline.plugin(CAP)
    assert ours is not None and theirs is not None
    assert ours.enforcement == theirs.enforcement
    assert ours.version == theirs.version
    assert dict(ours.config) == dict(theirs.config)
    assert dict(ours.rule_enforcement) == dict(theirs.rule_enforcement)
    assert alone.on_error == baseline.on_error


def test_no_policy_means_baseline():
    default = Policy.load(None)
    baseline = Policy.load("baseline")
    assert (default.name, default.sha256) == (baseline.name, baseline.sha256)
    assert hrdd.Engine.from_policy(None).policy.sha256 == baseline.sha256


def test_company_policy_extends_baseline_by_name(write_policy):
    path = write_policy(
        """
        [policy]
        name = "acme-export-policy"
        version = "2026.11.0"
        extends = "baseline"
        """
    )
    engine = hrdd.Engine.from_policy(path)
    assert engine.policy.name == "acme-export-policy"
    assert engine.policy.version == "2026.11.0"
    assert [f.source for f in engine.policy.chain] == [str(path), "builtin:baseline"]
    # inherited from the baseline: its plugins and their configuration
    assert [p.name for p in engine.plugins.plugins] == BASELINE_PLUGINS
    assert engine.plugins.by_name[CAP].config["escalate_at"] == 4
    baseline = hrdd.Engine.from_policy("baseline")
    for name in BASELINE_PLUGINS:
        assert engine.plugins.by_name[name].config == baseline.plugins.by_name[name].config, name


def test_company_policy_extends_a_file_by_relative_path(write_policy):
    write_policy(
        """
        [policy]
        name = "acme"
        version = "1"
        extends = "baseline"
        """,
        name="acme.toml",
    )
    team = write_policy(
        """
        [policy]
        name = "acme-team"
        version = "2"
        extends = "../acme.toml"
        """,
        name="team/policy.toml",
    )
    engine = hrdd.Engine.from_policy(team)
    sources = [f.source for f in engine.policy.chain]
    assert engine.policy.name == "acme-team"
    assert len(sources) == 3
    assert sources[0] == str(team)
    assert sources[1].endswith("acme.toml")
    assert sources[2] == "builtin:baseline"
    assert [p.name for p in engine.plugins.plugins] == BASELINE_PLUGINS


def test_later_files_override_earlier_ones_and_config_tables_deep_merge(write_policy):
    write_policy(
        """
        [policy]
        name = "acme"
        extends = "baseline"

        [plugins.hrdd-item-capability]
        enforcement = "advisory"

        [plugins.hrdd-item-capability.config]
        safeguards_at = 2
        """,
        name="acme.toml",
    )
    team = write_policy(
        """
        [policy]
        name = "acme-team"
        extends = "acme.toml"

        [plugins.hrdd-item-capability]
        enforcement = "hard"

        [plugins.hrdd-item-capability.config]
        escalate_at = 5
        """
    )
    settings = Policy.load(team).plugin(CAP)
    assert settings is not None
    assert settings.enforcement == hrdd.Enforcement.HARD  # the child wins over acme
    assert dict(settings.config) == {
        "escalate_at": 5,  # from the child
        "safeguards_at": 2,  # from acme
        "unknown_end_user_is_government": True,  # from the baseline
    }
    assert settings.version == ">=0.1,<1"  # untouched baseline key survives


def test_overridden_threshold_changes_the_decision(write_policy, capability_only_policy, example_transaction):
    """A user notices a config override by its effect: the border-guard drone (misuse
    potential 4) is escalated under the baseline's capability settings, but not once
    ``escalate_at`` is raised to 5."""
    document = example_transaction("drone-border-guard")
    path = write_policy(
        f"""
        [policy]
        name = "lenient"
        extends = {json.dumps(str(capability_only_policy))}

        [plugins.hrdd-item-capability]
        enforcement = "hard"

        [plugins.hrdd-item-capability.config]
        escalate_at = 5
        """
    )
    strict = hrdd.Engine.from_policy(capability_only_policy).assess(document)
    lenient = hrdd.Engine.from_policy(path).assess(document)
    assert strict.decision == hrdd.Decision.ESCALATE
    assert "HRDD-CAP-009" in strict.rule_ids
    assert "HRDD-CAP-009" not in lenient.rule_ids
    assert lenient.decision == hrdd.Decision.PROCEED_WITH_SAFEGUARDS
    assert {f.enforcement for f in lenient.findings} == {hrdd.Enforcement.HARD}


def test_overridden_threshold_also_changes_what_the_baseline_finds(write_policy, example_transaction):
    """The same override on top of the whole baseline: HRDD-CAP-009 goes, and only the rules
    of the overridden plugin change; the other plugins still decide for themselves."""
    document = example_transaction("drone-border-guard")
    path = write_policy(
        """
        [policy]
        name = "lenient"
        extends = "baseline"

        [plugins.hrdd-item-capability.config]
        escalate_at = 5
        """
    )
    baseline = hrdd.Engine.from_policy("baseline").assess(document)
    lenient = hrdd.Engine.from_policy(path).assess(document)
    assert "HRDD-CAP-009" in baseline.rule_ids
    assert "HRDD-CAP-009" not in lenient.rule_ids

    def others(assessment: hrdd.Assessment) -> list[tuple[str, str | None, str]]:
        return sorted(
            (f.rule_id, f.subject, f.decisive_outcome.value) for f in assessment.findings if f.plugin != CAP
        )

    assert others(lenient) == others(baseline)


def test_enabled_false_removes_an_inherited_plugin(write_policy, capability_only_policy, minimal_transaction):
    path = write_policy(
        f"""
        [policy]
        name = "nothing"
        extends = {json.dumps(str(capability_only_policy))}

        [plugins.hrdd-item-capability]
        enabled = false
        """
    )
    engine = hrdd.Engine.from_policy(path)
    assert engine.plugins.plugins == ()
    assessment = engine.assess(minimal_transaction())
    assert CAP not in {c.plugin for c in assessment.checks}
    assert assessment.rule_ids == ("HRDD-CORE-003",)


def test_enabled_false_removes_one_plugin_of_the_baseline(write_policy, minimal_transaction):
    path = write_policy(
        """
        [policy]
        name = "no-capability-review"
        extends = "baseline"

        [plugins.hrdd-item-capability]
        enabled = false
        """
    )
    engine = hrdd.Engine.from_policy(path)
    assert [p.name for p in engine.plugins.plugins] == [n for n in BASELINE_PLUGINS if n != CAP]
    assessment = engine.assess(minimal_transaction())
    assert CAP not in {c.plugin for c in assessment.checks}
    assert CAP not in {f.plugin for f in assessment.findings}
    assert not any(rule.startswith("HRDD-CAP-") for rule in assessment.rule_ids)


def test_enabled_true_in_a_child_restores_a_plugin_its_parent_disabled(write_policy):
    off = write_policy(
        """
        [policy]
        name = "off"
        extends = "baseline"

        [plugins.hrdd-item-capability]
        enabled = false
        """,
        name="off.toml",
    )
    path = write_policy(
        """
        [policy]
        name = "on-again"
        extends = "off.toml"

        [plugins.hrdd-item-capability]
        enabled = true
        """
    )
    assert CAP not in [p.name for p in hrdd.Engine.from_policy(off).plugins.plugins]
    engine = hrdd.Engine.from_policy(path)
    assert [p.name for p in engine.plugins.plugins] == BASELINE_PLUGINS
    # restored with the configuration the baseline gave it
    assert (
        engine.plugins.by_name[CAP].config == hrdd.Engine.from_policy("baseline").plugins.by_name[CAP].config
    )


# --------------------------------------------------------------------------------------
# extends
# --------------------------------------------------------------------------------------


def test_extends_cycle_between_two_files_is_refused_naming_the_cycle(write_policy):
    a = write_policy('[policy]\nname = "a"\nextends = "b.toml"\n', name="a.toml")
    write_policy('[policy]\nname = "b"\nextends = "a.toml"\n', name="b.toml")
    with pytest.raises(PolicyError) as excinfo:
        Policy.load(a)
    [(source, path, message)] = problems_of(excinfo)
    assert path == "$.policy.extends"
    assert "cycle" in message
    assert "a.toml" in message and "b.toml" in message
    assert message.index("a.toml") < message.index("b.toml") < message.rindex("a.toml")
    assert source.endswith(".toml")


def test_a_policy_extending_itself_is_a_cycle(write_policy):
    path = write_policy('[policy]\nname = "self"\nextends = "policy.toml"\n')
    with pytest.raises(PolicyError) as excinfo:
        hrdd.Engine.from_policy(path)
    [(_, where, message)] = problems_of(excinfo)
    assert where == "$.policy.extends"
    assert "cycle" in message
    assert message.count("policy.toml") == 2


def test_unknown_builtin_policy_name_lists_the_builtins():
    with pytest.raises(PolicyError) as excinfo:
        hrdd.Engine.from_policy("no-such-policy")
    [(_, _, message)] = problems_of(excinfo)
    assert "'no-such-policy'" in message
    assert "baseline" in message


def test_extending_an_unknown_builtin_names_the_file_and_key(write_policy):
    path = write_policy('[policy]\nname = "x"\nextends = "baselin"\n')
    with pytest.raises(PolicyError) as excinfo:
        Policy.load(path)
    [(source, where, message)] = problems_of(excinfo)
    assert source == str(path)
    assert where == "$.policy.extends"
    assert "'baselin'" in message and "baseline" in message


def test_extending_a_missing_file_is_a_policy_error(write_policy):
    path = write_policy('[policy]\nname = "x"\nextends = "missing.toml"\n')
    with pytest.raises(PolicyError) as excinfo:
        Policy.load(path)
    assert "missing.toml" in str(excinfo.value)
    assert "not found" in str(excinfo.value)


# --------------------------------------------------------------------------------------
# Malformed and schema-invalid policies
# --------------------------------------------------------------------------------------


def test_malformed_toml_names_the_file_and_line(write_policy):
    path = write_policy('[policy\nname = "broken"\n')
    with pytest.raises(PolicyError) as excinfo:
        hrdd.Engine.from_policy(path)
    [(source, _, message)] = problems_of(excinfo)
    assert source == str(path)
    assert "invalid TOML" in message
    assert "line 1" in message


def test_deeply_nested_toml_policy_is_a_policy_error(write_policy):
    path = write_policy('[policy]\nname = "deep"\ndescription = ' + "[" * 500 + "]" * 500 + "\n")
    with pytest.raises(PolicyError) as excinfo:
        hrdd.Engine.from_policy(path)
    assert excinfo.value.problems[0].source == str(path)


def test_policy_file_not_found(tmp_path):
    missing = tmp_path / "missing.toml"
    with pytest.raises(PolicyError) as excinfo:
        hrdd.Engine.from_policy(missing)
    assert excinfo.value.problems[0].source == str(missing)
    assert "not found" in excinfo.value.problems[0].message


def test_schema_violations_are_reported_together_with_file_and_path(write_policy):
    path = write_policy(
        """
        [policy]
        name = "sloppy"
        extends = "baseline"
        colour = "red"

        [plugins.hrdd-item-capability]
        enforcement = "sometimes"
        enforcment = "hard"
        """
    )
    with pytest.raises(PolicyError) as excinfo:
        hrdd.Engine.from_policy(path)
    problems = problems_of(excinfo)
    assert {source for source, _, _ in problems} == {str(path)}
    by_path = {where: message for _, where, message in problems}
    assert set(by_path) == {"$.policy", CAP_TABLE, f"{CAP_TABLE}.enforcement"}
    assert "'colour'" in by_path["$.policy"]
    assert "'enforcment'" in by_path[CAP_TABLE]
    assert '"sometimes"' in by_path[f"{CAP_TABLE}.enforcement"]
    assert "advisory" in by_path[f"{CAP_TABLE}.enforcement"]


def test_missing_policy_name_is_a_schema_violation(write_policy):
    path = write_policy('[policy]\nversion = "1"\n')
    with pytest.raises(PolicyError) as excinfo:
        Policy.load(path)
    [(_, where, message)] = problems_of(excinfo)
    assert where == "$.policy"
    assert "'name'" in message


def test_invalid_version_specifiers_are_reported_together(write_policy):
    path = write_policy(
        """
        [policy]
        name = "specs"
        requires-core = "~=banana"

        [plugins.hrdd-item-capability]
        version = "=>1"
        """
    )
    with pytest.raises(PolicyError) as excinfo:
        hrdd.Engine.from_policy(path)
    by_path = {where: message for _, where, message in problems_of(excinfo)}
    assert set(by_path) == {"$.policy['requires-core']", f"{CAP_TABLE}.version"}
    assert "'~=banana'" in by_path["$.policy['requires-core']"]
    assert "'=>1'" in by_path[f"{CAP_TABLE}.version"]
    assert all("PEP 440" in message for message in by_path.values())


def test_requires_core_not_satisfied_names_the_installed_core(write_policy):
    path = write_policy('[policy]\nname = "future"\nextends = "baseline"\nrequires-core = ">=99"\n')
    with pytest.raises(PolicyError) as excinfo:
        hrdd.Engine.from_policy(path)
    [(source, where, message)] = problems_of(excinfo)
    assert source == str(path)
    assert where == "$.policy['requires-core']"
    assert metadata.version("hrdd") in message
    assert "'>=99'" in message


# --------------------------------------------------------------------------------------
# Plugins named by a policy
# --------------------------------------------------------------------------------------


def test_unknown_plugin_lists_installed_plugins_and_versions(write_policy):
    path = write_policy('[policy]\nname = "p"\n[plugins.hrdd-not-installed]\n[plugins.hrdd-nope]\n')
    with pytest.raises(PolicyError) as excinfo:
        hrdd.Engine.from_policy(path)
    problems = problems_of(excinfo)
    assert [where for _, where, _ in problems] == [
        "$.plugins['hrdd-nope']",
        "$.plugins['hrdd-not-installed']",
    ]  # both reported, not only the first
    for _, _, message in problems:
        assert "unknown plugin" in message
        assert f"{CAP} {cap_version()}" in message


def test_version_pin_not_satisfied_names_the_installed_version(write_policy):
    path = write_policy(
        """
        [policy]
        name = "pinned"
        extends = "baseline"

        [plugins.hrdd-item-capability]
        version = ">=5,<6"
        """
    )
    with pytest.raises(PolicyError) as excinfo:
        hrdd.Engine.from_policy(path)
    [(source, where, message)] = problems_of(excinfo)
    assert source == str(path)
    assert where == f"{CAP_TABLE}.version"
    assert f"{CAP} {cap_version()} is installed" in message
    assert "'>=5,<6'" in message


def test_satisfied_version_pin_loads(write_policy):
    path = write_policy(
        f"""
        [policy]
        name = "pinned"
        extends = "baseline"

        [plugins.hrdd-item-capability]
        version = "=={cap_version()}"
        """
    )
    assert hrdd.Engine.from_policy(path).plugins.by_name[CAP].version == cap_version()


def test_invalid_plugin_config_names_every_bad_key(write_policy):
    path = write_policy(
        """
        [policy]
        name = "bad-config"
        extends = "baseline"

        [plugins.hrdd-item-capability.config]
        escalate_at = "high"
        safeguards_at = 9
        colour = "red"
        """
    )
    with pytest.raises(PolicyError) as excinfo:
        hrdd.Engine.from_policy(path)
    problems = problems_of(excinfo)
    assert {source for source, _, _ in problems} == {str(path)}
    by_path = {where: message for _, where, message in problems}
    assert set(by_path) == {
        f"{CAP_TABLE}.config.escalate_at",
        f"{CAP_TABLE}.config.safeguards_at",
        f"{CAP_TABLE}.config.colour",
    }
    assert "integer" in by_path[f"{CAP_TABLE}.config.escalate_at"]
    assert "5" in by_path[f"{CAP_TABLE}.config.safeguards_at"]
    assert "unknown" in by_path[f"{CAP_TABLE}.config.colour"]


def test_rule_enforcement_with_an_unknown_rule_id_is_refused(write_policy):
    path = write_policy(
        """
        [policy]
        name = "typo"
        extends = "baseline"

        [plugins.hrdd-item-capability.rule-enforcement]
        HRDD-CAP-999 = "advisory"
        """
    )
    with pytest.raises(PolicyError) as excinfo:
        hrdd.Engine.from_policy(path)
    [(_, where, message)] = problems_of(excinfo)
    assert where == f"{CAP_TABLE}['rule-enforcement']"
    assert "HRDD-CAP-999" in message
    assert "HRDD-CAP-003" in message  # lists the rules the plugin does have


# --------------------------------------------------------------------------------------
# Company extensions given by path
# --------------------------------------------------------------------------------------


def test_extension_by_path_loads_with_its_version(write_policy):
    path = write_policy(
        '[policy]\nname = "acme"\nextends = "baseline"\n[plugins.acme]\npath = "ext.py"\n',
        extensions={"ext.py": EXTENSION},
    )
    engine = hrdd.Engine.from_policy(path)
    acme = engine.plugins.by_name["acme"]
    assert acme.version == "1.2.3"
    assert acme.source == "path:ext.py"
    assert acme.config == {"threshold": 1}  # cerberus default applied


def test_extension_path_that_does_not_exist(write_policy):
    path = write_policy('[policy]\nname = "acme"\n[plugins.acme]\npath = "missing.py"\n')
    with pytest.raises(PolicyError) as excinfo:
        hrdd.Engine.from_policy(path)
    [(source, where, message)] = problems_of(excinfo)
    assert source == str(path)
    assert where == "$.plugins['acme'].path"
    assert "missing.py" in message
    assert "no such file" in message


@pytest.mark.parametrize("reference", ["../outside.py", "ABSOLUTE", "link.py"])
def test_extension_path_outside_the_policy_directory_is_refused(write_policy, tmp_path, reference):
    outside = tmp_path / "outside.py"
    outside.write_text(EXTENSION, encoding="utf-8")
    if reference == "ABSOLUTE":
        reference = str(outside)
    if reference == "link.py":
        (tmp_path / "company").mkdir()
        (tmp_path / "company" / "link.py").symlink_to(outside)
    path = write_policy(
        f'[policy]\nname = "acme"\n[plugins.acme]\npath = "{reference}"\n',
        name="company/policy.toml",
    )
    with pytest.raises(PolicyError) as excinfo:
        hrdd.Engine.from_policy(path)
    [(_, where, message)] = problems_of(excinfo)
    assert where == "$.plugins['acme'].path"
    assert "outside the policy's directory" in message


def test_extension_with_a_syntax_error_names_the_file_and_line(write_policy, tmp_path):
    path = write_policy(
        '[policy]\nname = "acme"\n[plugins.acme]\npath = "ext.py"\n',
        extensions={"ext.py": "from hrdd import hookimpl\n\n\ndef broken(:\n    pass\n"},
    )
    with pytest.raises(PluginLoadError) as excinfo:
        hrdd.Engine.from_policy(path)
    [(source, where, message)] = problems_of(excinfo)
    assert source == str((tmp_path / "ext.py").resolve())
    assert where == "line 4"
    assert "SyntaxError" in message


def test_extension_that_raises_on_import_names_the_line(write_policy, tmp_path):
    path = write_policy(
        '[policy]\nname = "acme"\n[plugins.acme]\npath = "ext.py"\n',
        extensions={"ext.py": "import os\n\nraise RuntimeError('no licence server')\n"},
    )
    with pytest.raises(PluginLoadError) as excinfo:
        hrdd.Engine.from_policy(path)
    [(source, where, message)] = problems_of(excinfo)
    assert source.endswith("ext.py")
    assert where == "line 3"
    assert "no licence server" in message


def test_extension_implementing_a_hook_nobody_specified_is_refused(write_policy):
    path = write_policy(
        '[policy]\nname = "acme"\n[plugins.acme]\npath = "ext.py"\n',
        extensions={
            "ext.py": """
                from hrdd import PluginInfo, hookimpl

                @hookimpl
                def hrdd_plugin_info():
                    return PluginInfo()

                @hookimpl
                def hrdd_check_everything(transaction, context):
                    return []
            """
        },
    )
    with pytest.raises(PluginLoadError) as excinfo:
        hrdd.Engine.from_policy(path)
    [(_, where, message)] = problems_of(excinfo)
    assert where == "$.plugins['acme']"
    assert "hrdd_check_everything" in message


def test_extension_hook_with_an_argument_the_spec_lacks_is_refused(write_policy):
    path = write_policy(
        '[policy]\nname = "acme"\n[plugins.acme]\npath = "ext.py"\n',
        extensions={
            "ext.py": """
                from hrdd import PluginInfo, hookimpl

                @hookimpl
                def hrdd_plugin_info():
                    return PluginInfo()

                @hookimpl
                def hrdd_check_end_user(transaction, ctx):
                    return []
            """
        },
    )
    with pytest.raises(PluginLoadError) as excinfo:
        hrdd.Engine.from_policy(path)
    message = str(excinfo.value)
    assert "hrdd_check_end_user" in message
    assert "ctx" in message


def test_extension_without_plugin_info_is_refused(write_policy):
    path = write_policy(
        '[policy]\nname = "acme"\n[plugins.acme]\npath = "ext.py"\n',
        extensions={
            "ext.py": """
                from hrdd import hookimpl

                @hookimpl
                def hrdd_check_end_user(transaction, context):
                    return []
            """
        },
    )
    with pytest.raises(PluginLoadError) as excinfo:
        hrdd.Engine.from_policy(path)
    assert "hrdd_plugin_info" in str(excinfo.value)


def test_configuring_an_inherited_extension_keeps_its_path_relative_to_its_own_file(
    write_policy,
):
    write_policy(
        '[policy]\nname = "acme"\nextends = "baseline"\n[plugins.acme]\npath = "ext.py"\n',
        extensions={"ext.py": EXTENSION},
        name="acme.toml",
    )
    team = write_policy(
        """
        [policy]
        name = "acme-team"
        extends = "../acme.toml"

        [plugins.acme.config]
        threshold = 2
        """,
        name="team/policy.toml",
    )
    engine = hrdd.Engine.from_policy(team)
    assert engine.plugins.by_name["acme"].config == {"threshold": 2}
