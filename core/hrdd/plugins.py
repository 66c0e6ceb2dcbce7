"""The plugin manager: finds installed plugins, loads the ones a policy enables, checks them.

Installed is not enabled. A plugin runs only when the policy names it; it is found through
the ``hrdd`` entry-point group (by distribution name) or loaded from a ``path =`` module
file inside the policy's directory tree. Versions come from distribution metadata.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
import types
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import attrs
import pluggy

from hrdd import hookspecs
from hrdd.errors import PluginLoadError, PolicyError, Problem
from hrdd.model import DataSet, Enforcement, PluginInfo, PluginRef, PluginSetup
from hrdd.policy import PluginSettings, Policy

ENTRY_POINT_GROUP = "hrdd"
BUILTIN_PLUGINS = ("hrdd.renderers", "hrdd.report_renderers")  # registered by new_plugin_manager
# Hooks the core calls one implementation at a time (failure isolation), never through pluggy.
DIRECTLY_CALLED_HOOKS = frozenset(
    {
        "hrdd_plugin_info",
        "hrdd_configure",
        "hrdd_item_profile",
        "hrdd_transaction_facts",
        "hrdd_check_item",
        "hrdd_check_end_user",
        "hrdd_check_contract",
        "hrdd_report_contribution",
    }
)
_SKIPPED_RECORD_FILES = frozenset({"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"})


def core_version() -> str:
    try:
        return metadata.version("hrdd")
    except metadata.PackageNotFoundError:  # running from a source tree that was not installed
        return "0+source"


def _canonical(name: str) -> str:
    from packaging.utils import canonicalize_name

    return str(canonicalize_name(name))


@attrs.frozen
class InstalledPlugin:
    """A distribution that registers plugins in the ``hrdd`` entry-point group."""

    name: str
    version: str
    entry_points: tuple[metadata.EntryPoint, ...]
    distribution: metadata.Distribution

    def load(self) -> list[object]:
        return [entry_point.load() for entry_point in self.entry_points]


def installed_plugins() -> dict[str, InstalledPlugin]:
    """Every installed plugin distribution, keyed by canonical distribution name."""
    by_name: dict[str, list[metadata.EntryPoint]] = {}
    dists: dict[str, metadata.Distribution] = {}
    for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = entry_point.dist
        if dist is None:
            continue
        key = _canonical(dist.metadata["Name"])
        if key in dists and dists[key].version != dist.version:
            continue  # a shadowed older copy on sys.path: the first one wins, as for imports
        dists[key] = dist
        if entry_point not in by_name.setdefault(key, []):
            by_name[key].append(entry_point)
    return {
        key: InstalledPlugin(dists[key].metadata["Name"], dists[key].version, tuple(eps), dists[key])
        for key, eps in sorted(by_name.items())
    }


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tree_files(directory: Path, prefix: str) -> dict[str, Path]:
    return {
        f"{prefix}/{p.relative_to(directory).as_posix()}": p
        for p in directory.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }


def distribution_sha256(dist: metadata.Distribution, modules: Iterable[types.ModuleType]) -> str:
    """A digest over a plugin's installed files: those its RECORD lists, plus the source tree
    of its entry-point packages (so an editable install is pinned by its code, too)."""
    files: dict[str, Path] = {}
    for record in dist.files or ():
        if record.name in _SKIPPED_RECORD_FILES or record.suffix == ".pyc" or "__pycache__" in record.parts:
            continue
        located = Path(str(record.locate()))
        if located.is_file():
            files[record.as_posix()] = located
    for module in modules:
        # The whole top-level package of the entry point: a plugin's code is every module of
        # it, not only the one that holds the hooks.
        origin = getattr(module, "__file__", None)
        if origin is None:
            continue
        origin_path = Path(origin)
        depth = module.__name__.count(".")
        if origin_path.name == "__init__.py":
            top = origin_path.parents[depth]
        elif depth:
            top = origin_path.parents[depth - 1]
        else:
            files[origin_path.name] = origin_path
            continue
        files.update(_tree_files(top, top.name))
    digest = hashlib.sha256()
    for key in sorted(files):
        digest.update(f"{key}\0{_file_digest(files[key])}\n".encode())
    return digest.hexdigest()


@attrs.frozen
class LoadedPlugin:
    """An enabled plugin, registered, described, configured."""

    name: str
    version: str
    sha256: str
    source: str
    settings: PluginSettings
    info: PluginInfo
    config: Mapping[str, Any]
    data: tuple[DataSet, ...] = ()
    state: Any = None

    @property
    def enforcement(self) -> Enforcement:
        return self.settings.enforcement

    @property
    def rule_ids(self) -> frozenset[str]:
        return frozenset(rule.id for rule in self.info.rules)

    def ref(self) -> PluginRef:
        return PluginRef(self.name, self.version, self.sha256, self.source)


def new_plugin_manager() -> pluggy.PluginManager:
    """A plugin manager with the hrdd hook specifications and the built-in plugins."""
    from hrdd import renderers, report_renderers

    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    pm.register(renderers.BuiltinRenderers(), name="hrdd.renderers")
    pm.register(report_renderers.ReportRenderers(), name="hrdd.report_renderers")
    return pm


def _installed_listing(installed: Mapping[str, InstalledPlugin]) -> str:
    if not installed:
        return "no hrdd plugins are installed"
    return "installed: " + ", ".join(f"{p.name} {p.version}" for p in installed.values())


def _load_path_module(settings: PluginSettings, where: str) -> tuple[types.ModuleType, Path]:
    assert settings.path is not None
    root = settings.policy_dir.resolve()
    path = (settings.policy_dir / settings.path).resolve()
    if not path.is_relative_to(root):
        raise PluginLoadError.single(
            where,
            f"$.plugins['{settings.name}'].path",
            f"{str(settings.path)!r} resolves to {path}, outside the policy's directory {root}",
        )
    if not path.is_file():
        raise PluginLoadError.single(
            where, f"$.plugins['{settings.name}'].path", f"{str(settings.path)!r}: no such file ({path})"
        )
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:12]
    module_name = f"hrdd_extension_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise PluginLoadError.single(str(path), "$", "cannot be loaded as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        sys.modules.pop(module_name, None)
        line = exc.lineno if isinstance(exc, SyntaxError) else _last_line_in(exc, path)
        raise PluginLoadError.single(
            str(path), f"line {line}" if line else "$", f"failed to import: {type(exc).__name__}: {exc}"
        ) from None
    return module, path


def _raised_at(exc: BaseException) -> str:
    """``"FILE line N: "`` for the innermost source file an import failure went through (the
    plugin's module, or a module it imports); empty when none is known."""
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{exc.filename} line {exc.lineno}: " if exc.lineno else f"{exc.filename}: "
    machinery = (str(Path(importlib.util.__file__).parent), __file__)  # the import system, this module
    found = ""
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        # not <frozen importlib._bootstrap> and the like, nor the code that asked for the import
        if not filename.startswith("<") and not filename.startswith(machinery):
            found = f"{filename} line {tb.tb_lineno}: "
        tb = tb.tb_next
    return found


def _last_line_in(exc: BaseException, path: Path) -> int | None:
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if Path(tb.tb_frame.f_code.co_filename) == path:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _cerberus_problems(errors: Mapping[str, Any], prefix: str, source: str) -> list[Problem]:
    """Flatten cerberus's nested error tree into one problem per leaf, with its path."""
    problems: list[Problem] = []
    for key, messages in sorted(errors.items(), key=lambda kv: str(kv[0])):
        path = f"{prefix}.{key}" if isinstance(key, str) else f"{prefix}[{key}]"
        for message in messages:
            if isinstance(message, Mapping):
                problems.extend(_cerberus_problems(message, path, source))
            else:
                problems.append(Problem(source, path, str(message)))
    return problems


def _marks_paths(rules: Mapping[str, Any]) -> bool:
    items = rules.get("schema") if rules.get("type") == "list" else None
    return any(
        isinstance(rule, Mapping) and isinstance(rule.get("meta"), Mapping) and rule["meta"].get("path")
        for rule in (rules, items)
    )


def _resolve_paths(
    config: dict[str, Any], schema: Mapping[str, Any], settings: PluginSettings
) -> dict[str, Any]:
    """Config values the plugin's schema marks as paths (``"meta": {"path": True}``, on the
    key's rule or, for a list, on the rule of its items) become absolute, resolved against
    the directory of the policy file that set them."""
    for key, rules in schema.items():
        value = config.get(key)
        if value is None or not isinstance(rules, Mapping) or not _marks_paths(rules):
            continue
        base = settings.config_dirs.get(key, settings.policy_dir)
        if isinstance(value, str):
            config[key] = str((base / value).resolve())
        elif isinstance(value, list):
            config[key] = [str((base / v).resolve()) if isinstance(v, str) else v for v in value]
    return config


def checked_config(
    settings: PluginSettings, schema: Mapping[str, Any], where: str
) -> tuple[dict[str, Any], list[Problem]]:
    """A plugin's config table checked against its cerberus schema: the normalised config
    (defaults applied, path values resolved against the policy file that set them) and every
    problem, with its path in the policy.

    :raises PluginLoadError: the schema itself is invalid.
    """
    import cerberus

    table = f"$.plugins['{settings.name}']"
    try:
        validator = cerberus.Validator(dict(schema))
    except Exception as exc:
        raise PluginLoadError.single(
            where, table, f"plugin {settings.name} declares an invalid config schema: {exc}"
        ) from None
    if not validator.validate(dict(settings.config)):
        return {}, _cerberus_problems(validator.errors, f"{table}.config", where)
    return _resolve_paths(validator.document, schema, settings), []


def plugin_config(policy: Policy, name: str, schema: Mapping[str, Any]) -> dict[str, Any]:
    """What a policy configures for one plugin, checked and normalised as the engine does it
    (the schema's defaults where the policy does not enable the plugin): for a plugin's own
    command, which reads the policy without building an engine.

    :raises PolicyError: every problem of the plugin's config table.
    """
    settings = policy.plugin(name) or PluginSettings(name=name, policy_dir=policy.directory)
    config, problems = checked_config(settings, schema, policy.source)
    if problems:
        raise PolicyError(problems)
    return config


def _only_implementation(pm: pluggy.PluginManager, hook: str, plugin: object) -> Callable[..., Any] | None:
    """The plugin's implementation of ``hook`` as a function of keyword arguments (an
    implementation may accept any subset of the hook's arguments, in any order)."""
    for impl in getattr(pm.hook, hook).get_hookimpls():
        if impl.plugin is plugin:
            function, argnames = impl.function, tuple(impl.argnames)
            return lambda **kwargs: function(*[kwargs[name] for name in argnames])
    return None


def _check_implementations(pm: pluggy.PluginManager, name: str, plugin: object, where: str) -> None:
    """What pluggy accepts but hrdd cannot honour: defaults (pluggy never passes them, so the
    default would silently stand in for the real argument) and wrappers on hooks the engine
    calls one implementation at a time."""
    import inspect

    problems = []
    for hook_caller in pm.get_hookcallers(plugin) or ():
        for impl in hook_caller.get_hookimpls():
            if impl.plugin is not plugin:
                continue
            defaults = [
                p.name
                for p in inspect.signature(impl.function).parameters.values()
                if p.default is not inspect.Parameter.empty
            ]
            if defaults:
                problems.append(
                    Problem(
                        where,
                        f"$.plugins['{name}']",
                        f"{hook_caller.name} in plugin {name} gives argument(s) {', '.join(defaults)} a "
                        "default value; hook implementations must not (the default would never be replaced)",
                    )
                )
            if (impl.hookwrapper or impl.wrapper) and hook_caller.name in DIRECTLY_CALLED_HOOKS:
                problems.append(
                    Problem(
                        where,
                        f"$.plugins['{name}']",
                        f"{hook_caller.name} in plugin {name} is a wrapper; check hooks take plain "
                        "implementations that return findings",
                    )
                )
    if problems:
        raise PluginLoadError(problems)


class PluginSet:
    """The plugins one policy enables, registered in one plugin manager."""

    def __init__(self, pm: pluggy.PluginManager, plugins: Sequence[LoadedPlugin]) -> None:
        self.pm = pm
        self.plugins = tuple(plugins)
        self.by_name = {plugin.name: plugin for plugin in self.plugins}

    @classmethod
    def for_policy(cls, policy: Policy) -> PluginSet:
        """The plugins the policy enables, and its declarative rules as the built-in plugin
        ``policy-rules`` (:mod:`hrdd.rules`). Every problem of the plugins and of the rules
        is raised at once."""
        from hrdd import rules

        declared = rules.declared_rules(policy)  # read and checked first: never raises
        try:
            plugin_set = cls._enabled_plugins(policy)
        except PolicyError as exc:
            raise type(exc)([*exc.problems, *declared.problems]) from None
        built = rules.rules_plugin(policy, declared, plugin_set.plugins)
        if built is None:
            return plugin_set
        hooks, loaded = built
        plugin_set.pm.register(hooks, name=loaded.name)
        return cls(plugin_set.pm, [*plugin_set.plugins, loaded])

    @classmethod
    def _enabled_plugins(cls, policy: Policy) -> PluginSet:
        pm = new_plugin_manager()
        installed = installed_plugins()
        problems: list[Problem] = []
        registered: list[tuple[PluginSettings, object, str, str, str]] = []
        for settings in policy.plugins:
            try:
                registered.append(_register(pm, settings, installed, policy))
            except PolicyError as exc:
                problems.extend(exc.problems)
        if problems:
            raise PluginLoadError(problems)
        try:
            pm.check_pending()
        except pluggy.PluginValidationError as exc:
            raise PluginLoadError.single(
                policy.source, f"$.plugins['{pm.get_name(exc.plugin)}']", str(exc)
            ) from None
        loaded = []
        for settings, plugin, version, sha256, source in registered:
            try:
                loaded.append(_describe_and_configure(pm, settings, plugin, version, sha256, source, policy))
            except PolicyError as exc:
                problems.extend(exc.problems)
        if problems:
            raise PluginLoadError(problems)
        return cls(pm, loaded)


def _register(
    pm: pluggy.PluginManager,
    settings: PluginSettings,
    installed: Mapping[str, InstalledPlugin],
    policy: Policy,
) -> tuple[PluginSettings, object, str, str, str]:
    from packaging.specifiers import SpecifierSet

    where = policy.source
    table = f"$.plugins['{settings.name}']"
    if settings.path is not None:
        module, path = _load_path_module(settings, where)
        version = str(getattr(module, "__version__", "0+path"))
        plugin: object = module
        sha256 = _file_digest(path)
        source = f"path:{settings.path.as_posix()}"
    else:
        found = installed.get(_canonical(settings.name))
        if found is None:
            raise PolicyError.single(
                where, table, f"unknown plugin {settings.name!r}; {_installed_listing(installed)}"
            )
        version = found.version
        try:
            objects = found.load()
        except Exception as exc:
            raise PluginLoadError.single(
                where,
                table,
                f"plugin {found.name} {version} failed to import: {_raised_at(exc)}{type(exc).__name__}: {exc}",
            ) from None
        plugin = objects[0] if len(objects) == 1 else types.SimpleNamespace(parts=objects)
        modules = [o for o in objects if isinstance(o, types.ModuleType)]
        sha256 = distribution_sha256(found.distribution, modules)
        source = "entry-point"
    if settings.version is not None and not SpecifierSet(settings.version).contains(
        version, prereleases=True
    ):
        raise PolicyError.single(
            where,
            f"{table}.version",
            f"{settings.name} {version} is installed but the policy requires {settings.version!r}; "
            f"{_installed_listing(installed)}",
        )
    to_register = plugin.parts if isinstance(plugin, types.SimpleNamespace) else [plugin]
    for index, part in enumerate(to_register):
        name = settings.name if index == 0 else f"{settings.name}#{index}"
        try:
            pm.register(part, name=name)
        except (pluggy.PluginValidationError, ValueError) as exc:
            raise PluginLoadError.single(
                where, table, f"plugin {settings.name} cannot be registered: {exc}"
            ) from None
        _check_implementations(pm, settings.name, part, where)
    return settings, to_register[0], version, sha256, source


def _describe_and_configure(
    pm: pluggy.PluginManager,
    settings: PluginSettings,
    plugin: object,
    version: str,
    sha256: str,
    source: str,
    policy: Policy,
) -> LoadedPlugin:

    where = policy.source
    table = f"$.plugins['{settings.name}']"
    describe = _only_implementation(pm, "hrdd_plugin_info", plugin)
    if describe is None:
        raise PluginLoadError.single(
            where, table, f"plugin {settings.name} does not implement hrdd_plugin_info()"
        )
    try:
        info = describe()
    except Exception as exc:
        raise PluginLoadError.single(
            where, table, f"plugin {settings.name}: hrdd_plugin_info() raised {type(exc).__name__}: {exc}"
        ) from None
    if not isinstance(info, PluginInfo):
        raise PluginLoadError.single(
            where,
            table,
            f"plugin {settings.name}: hrdd_plugin_info() returned {type(info).__name__}, expected PluginInfo",
        )
    info = attrs.evolve(info, name=settings.name, version=version)
    config, problems = checked_config(settings, info.config_schema, where)
    unknown_rules = sorted(set(settings.rule_enforcement) - {rule.id for rule in info.rules})
    if unknown_rules:
        known = ", ".join(rule.id for rule in info.rules) or "none"
        problems.append(
            Problem(
                where,
                f"{table}['rule-enforcement']",
                f"unknown rule id(s) {', '.join(unknown_rules)} for {settings.name}; its rules: {known}",
            )
        )
    if problems:
        raise PolicyError(problems)
    setup = PluginSetup()
    configure = _only_implementation(pm, "hrdd_configure", plugin)
    if configure is not None:
        try:
            answer = configure(config=config, policy_dir=settings.policy_dir)
        except PolicyError:
            raise
        except Exception as exc:
            raise PluginLoadError.single(
                where, table, f"plugin {settings.name}: hrdd_configure() raised {type(exc).__name__}: {exc}"
            ) from None
        if answer is not None:
            if not isinstance(answer, PluginSetup) or not all(isinstance(d, DataSet) for d in answer.data):
                raise PluginLoadError.single(
                    where,
                    table,
                    f"plugin {settings.name}: hrdd_configure() returned {type(answer).__name__}, "
                    "expected PluginSetup (with DataSet records) or None",
                )
            setup = answer
    return LoadedPlugin(
        settings.name, version, sha256, source, settings, info, config, setup.data, setup.state
    )
