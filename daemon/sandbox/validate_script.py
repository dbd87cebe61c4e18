# gdp's script validator. It runs inside a sandbox container (no network, read-only, as the
# sandbox user), so parsing a script nobody has approved yet can harm nothing. It uses Python's
# own parser (ast), reads the candidate from $GDP_INPUT (the sandbox's input), and prints one JSON
# document:
#   {"syntax_errors": [{"line", "column", "message"}], "warnings": [{"line", "column", "message",
#    "level"}], "level": "safe" | "caution" | "restricted"}
import ast
import json
import os
import sys

# Modules that reach outside the sandbox's promise: other programs, the network, raw memory.
RESTRICTED_MODULES = {
    "subprocess": "runs other programs",
    "pty": "runs other programs",
    "socket": "opens network connections",
    "ssl": "opens network connections",
    "http": "opens network connections",
    "urllib": "opens network connections",
    "urllib3": "opens network connections",
    "requests": "opens network connections",
    "httpx": "opens network connections",
    "aiohttp": "opens network connections",
    "ftplib": "opens network connections",
    "smtplib": "sends email",
    "poplib": "opens network connections",
    "imaplib": "opens network connections",
    "telnetlib": "opens network connections",
    "paramiko": "opens network connections",
    "xmlrpc": "opens network connections",
    "ctypes": "calls native code directly",
    "cffi": "calls native code directly",
}
CAUTION_MODULES = {
    "multiprocessing": "starts processes",
    "threading": "starts threads",
    "shutil": "copies or deletes whole trees",
    "pickle": "can run code while loading data",
    "marshal": "can run code while loading data",
    "importlib": "imports code by name at run time",
}
RESTRICTED_CALLS = {
    "eval": "evaluates text as code",
    "exec": "runs text as code",
    "compile": "turns text into code",
    "__import__": "imports code by name at run time",
    "os.system": "runs a shell command",
    "os.popen": "runs a shell command",
    "os.fork": "starts processes",
    "os.kill": "signals processes",
}
for name in ("execl", "execle", "execlp", "execlpe", "execv", "execve", "execvp", "execvpe",
             "spawnl", "spawnle", "spawnlp", "spawnlpe", "spawnv", "spawnve", "spawnvp", "spawnvpe",
             "posix_spawn", "posix_spawnp"):
    RESTRICTED_CALLS["os." + name] = "runs other programs"
WRITE_ROOTS = ("/data/work", "/data/output", "/tmp")
READ_ROOTS = ("/data/", "/usr/lib/python3", "/usr/local/lib/python3", "/usr/share/", "/tmp")
WRITE_CALLS = {"to_csv", "to_json", "to_parquet", "to_excel", "savefig", "to_pickle", "to_feather",
               "write_text", "write_bytes", "mkdir", "makedirs", "remove", "unlink", "rmdir", "rmtree"}

warnings = []


def warn(node, level, message):
    warnings.append({"line": getattr(node, "lineno", 0), "column": getattr(node, "col_offset", 0) + 1,
                     "message": message, "level": level})


def dotted(node):
    """'os.system' for os.system, 'np.save' for np.save; None for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def constant_path(node):
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
        return str(node.values[0].value)  # an f-string: its fixed start says where it points
    return None


def check_path(node, path, writing):
    if not path.startswith("/"):
        return  # relative: the working directory is /data/work
    roots = WRITE_ROOTS if writing else READ_ROOTS
    if not any(path == r.rstrip("/") or path.startswith(r.rstrip("/") + "/") for r in roots):
        verb = "writes" if writing else "reads"
        allowed = "/data/work and /data/output" if writing else "/data and Python's own files"
        warn(node, "caution", f"{verb} {path}, outside {allowed}")


class Visitor(ast.NodeVisitor):
    def __init__(self):
        self.aliases = {}  # local name -> module it stands for

    def module_use(self, node, module):
        top = module.split(".")[0]
        if top in RESTRICTED_MODULES:
            warn(node, "restricted", f"imports {module}, which {RESTRICTED_MODULES[top]}")
        elif top in CAUTION_MODULES:
            warn(node, "caution", f"imports {module}, which {CAUTION_MODULES[top]}")

    def visit_Import(self, node):
        for alias in node.names:
            self.module_use(node, alias.name)
            self.aliases[alias.asname or alias.name.split(".")[0]] = alias.name
        self.generic_visit(node)

    def visit_ImportFrom(self, node):
        module = node.module or ""
        self.module_use(node, module)
        for alias in node.names:
            self.aliases[alias.asname or alias.name] = module + "." + alias.name
            full = module + "." + alias.name
            if full in RESTRICTED_CALLS:
                warn(node, "restricted", f"imports {full}, which {RESTRICTED_CALLS[full]}")
        self.generic_visit(node)

    def visit_Call(self, node):
        name = dotted(node.func)
        # A method on any expression (pd.DataFrame().to_csv) still names what it does.
        leaf = node.func.attr if isinstance(node.func, ast.Attribute) else name
        if leaf:
            self.check_io(node, leaf)
        if name:
            head, _, rest = name.partition(".")
            resolved = self.aliases.get(head, head) + ("." + rest if rest else "")
            for candidate in (name, resolved):
                if candidate in RESTRICTED_CALLS:
                    warn(node, "restricted", f"calls {candidate}, which {RESTRICTED_CALLS[candidate]}")
                    break
        self.generic_visit(node)

    def check_io(self, node, leaf):
        path = constant_path(node.args[0]) if node.args else None
        if path is None:
            return
        if leaf == "open":
            mode = node.args[1] if len(node.args) > 1 else next(
                (k.value for k in node.keywords if k.arg == "mode"), None)
            mode_text = mode.value if isinstance(mode, ast.Constant) and isinstance(mode.value, str) else "r"
            check_path(node, path, any(c in mode_text for c in "wax+"))
        elif leaf in WRITE_CALLS:
            check_path(node, path, True)
        elif leaf.startswith("read_"):
            check_path(node, path, False)


def main():
    source = open(os.environ["GDP_INPUT"], encoding="utf-8", errors="replace").read()
    result = {"syntax_errors": [], "warnings": [], "level": "safe"}
    try:
        tree = ast.parse(source, filename="script.py")
    except SyntaxError as e:
        result["syntax_errors"].append({"line": e.lineno or 0, "column": e.offset or 0,
                                        "message": e.msg, "text": (e.text or "").rstrip("\n")})
    else:
        Visitor().visit(tree)
        levels = {w["level"] for w in warnings}
        result["warnings"] = warnings
        result["level"] = "restricted" if "restricted" in levels else "caution" if levels else "safe"
    json.dump(result, sys.stdout)


main()
