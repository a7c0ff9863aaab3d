"""Write the plain program a scenario stands for, under one model.

The program is assembled from small pieces: a docstring, the imports it needs, the step
functions it calls (``crunch``, ``hash_bytes``, ``wait``, ``round_trip``, ``blocking_call``;
``with lock:`` for lock steps), an echo server if any step talks to the network, one function per group,
and a ``main`` in the model's shape. Each line is written as ``ruff format`` would write it
(no line beyond 88 characters, two blank lines between top-level definitions), so the text
is stable under the formatter; nothing depends on the clock, the machine or a dict's order.

The program's shape comes from :data:`TEMPLATES`, the one table that names models here. Where
a coroutine runs each step comes from the model's ``step_places``: a step placed on a pool
thread in a model whose tasks are coroutines becomes ``await asyncio.to_thread(...)``.
"""

from __future__ import annotations

import builtins
import keyword
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from ..errors import UsageError
from ..probe.models import MODELS, spec_of
from ..scenario.load import Scenario
from ..wire import WORKER_LOOP, WORKER_POOL_THREAD

#: ``ruff format``'s default line length: the programs are read as plain files, outside this repo.
LINE_LENGTH = 88
#: Longest name a group's function gets, so every statement that names it fits on one line.
MAX_NAME = 20
_INDENT = "    "

# Names the program defines or imports itself; a group's function never takes one of them.
_RESERVED = frozenset(
    {
        "asyncio",
        "hashlib",
        "multiprocessing",
        "os",
        "socket",
        "socketserver",
        "sys",
        "threading",
        "time",
        "ProcessPoolExecutor",
        "ThreadPoolExecutor",
        "crunch",
        "hash_bytes",
        "wait",
        "round_trip",
        "blocking_call",
        "hold_lock",
        "lock",
        "connect",
        "start_echo_server",
        "serve_echo",
        "main",
        "run_all",
        "server",
        "sock",
        "reader",
        "writer",
        "start",
        "threads",
        "thread",
        "futures",
        "future",
        "pool",
        "tasks",
        "workers",
        "loop",
        "x",
        "ms",
    }
)


@dataclass(frozen=True)
class _Plan:
    """Everything a template needs, decided once."""

    scenario: Scenario
    model: str
    description: str
    switch_interval_ms: float | None
    pool_size: int | None
    peer_delay_ms: float
    coroutines: bool
    offloaded: frozenset[str]
    names: tuple[str, ...]

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset(kind for group in self.scenario.groups for kind in group.kinds)

    @property
    def uses_net(self) -> bool:
        return "net" in self.kinds

    def params(self, index: int) -> str:
        """The parameters of a group's function: the echo server's address if it talks to it, its data if it has any."""
        group = self.scenario.groups[index]
        names = (["server"] if "net" in group.kinds else []) + (["data"] if "data" in group.kinds else [])
        return ", ".join(names)

    def args(self, index: int) -> str:
        """What a call of a group's function passes: the server, and a ``bytes`` as big as its data steps."""
        group = self.scenario.groups[index]
        values = ["server"] if "net" in group.kinds else []
        kb = sum(amount for kind, amount in group.steps if kind == "data")
        if kb:
            values.append(f"bytes({_number(kb)} * 1024)")
        return ", ".join(values)

    @property
    def switch_seconds(self) -> str | None:
        return None if self.switch_interval_ms is None else _number(self.switch_interval_ms / 1000, point=True)

    @property
    def switch_comment(self) -> str:
        return f"  # {_number(self.switch_interval_ms)} ms, [run].switch_interval_ms"


# -- templates --------------------------------------------------------------------------------


class _Template:
    """One program shape. Subclasses write ``main`` and say what the program imports."""

    #: The group functions are coroutines (``async def``), run on one event loop.
    coroutines = False
    #: The scenario's one shared lock, as a module-level line.
    lock_line = "lock = threading.Lock()  # the scenario's one shared lock"
    imports: tuple[str, ...] = ()

    def note(self, plan: _Plan) -> str:
        raise NotImplementedError

    def main(self, plan: _Plan) -> list[str]:
        raise NotImplementedError

    def extra_imports(self, plan: _Plan) -> tuple[str, ...]:
        return ()

    def definitions(self, plan: _Plan) -> list[list[str]]:
        """Top-level functions of this shape, written after the group functions."""
        return []


class _Threads(_Template):
    imports = ("threading",)

    def note(self, plan: _Plan) -> str:
        return (
            "Plain functions throughout: a wait is a call that blocks its thread and releases the GIL, "
            "and for Python code the threads take turns on the one GIL."
        )

    def main(self, plan: _Plan) -> list[str]:
        out = _main_head(plan)
        for i, group in enumerate(plan.scenario.groups):
            args = plan.args(i)
            call = f"threading.Thread(target={plan.names[i]}" + (f", args=({args},))" if args else ")")
            out += _collect("threads", call, group.count, first=i == 0, depth=1)
        out += [
            f"{_INDENT}start = time.perf_counter()",
            f"{_INDENT}for thread in threads:",
            f"{_INDENT * 2}thread.start()",
            f"{_INDENT}for thread in threads:",
            f"{_INDENT * 2}thread.join()",
            f"{_INDENT}{_REPORT}",
        ]
        return out


class _ThreadPool(_Template):
    imports = ("from concurrent.futures import ThreadPoolExecutor",)

    def note(self, plan: _Plan) -> str:
        size = f"{plan.pool_size} worker threads" if plan.pool_size else "its default number of threads"
        return (
            f"A ThreadPoolExecutor with {size} runs the tasks; the tasks beyond that wait in its queue. "
            "Plain functions throughout, as with threads."
        )

    def main(self, plan: _Plan) -> list[str]:
        out = _main_head(plan)
        size = f"max_workers={plan.pool_size}" if plan.pool_size else ""
        out.append(f"{_INDENT}with ThreadPoolExecutor({size}) as pool:")
        out.append(f"{_INDENT * 2}start = time.perf_counter()")
        out += _submit_all(plan, depth=2)
        out.append(f"{_INDENT}{_REPORT}")
        return out


class _ProcessPool(_Template):
    imports = ("from concurrent.futures import ProcessPoolExecutor",)
    lock_line = "lock = None  # the scenario's one shared lock, set in each worker by init_worker"

    def extra_imports(self, plan: _Plan) -> tuple[str, ...]:
        return (() if plan.pool_size else ("os",)) + (("multiprocessing",) if "lock" in plan.kinds else ())

    def definitions(self, plan: _Plan) -> list[list[str]]:
        if "lock" not in plan.kinds:
            return []
        body = [
            "def init_worker(shared_lock):",
            '    """Run in each worker process as it starts: take the pool\'s one shared lock."""',
            "    global lock",
            "    lock = shared_lock",
        ]
        if plan.switch_seconds is not None:
            body.append(f"{_INDENT}sys.setswitchinterval({plan.switch_seconds}){plan.switch_comment}")
        return [body]

    def note(self, plan: _Plan) -> str:
        return (
            "A ProcessPoolExecutor: each worker is a process with an interpreter and a GIL of its own, "
            "so CPU-bound Python really runs in parallel. Its workers import this file, so everything "
            'starts from under `if __name__ == "__main__":`.'
        )

    def main(self, plan: _Plan) -> list[str]:
        out = _main_head(plan, switch=False)
        if plan.pool_size:
            out.append(f"{_INDENT}workers = {plan.pool_size}")
        else:
            out.append(f"{_INDENT}workers = os.cpu_count()")
        if "lock" in plan.kinds:
            out += [
                f"{_INDENT}with ProcessPoolExecutor(",
                f"{_INDENT * 2}workers, initializer=init_worker, initargs=(multiprocessing.Lock(),)",
                f"{_INDENT}) as pool:",
            ]
        elif plan.switch_seconds is not None:
            out += [
                f"{_INDENT}with ProcessPoolExecutor(",
                f"{_INDENT * 2}workers, initializer=sys.setswitchinterval, initargs=({plan.switch_seconds},)",
                f"{_INDENT}) as pool:",
            ]
        else:
            out.append(f"{_INDENT}with ProcessPoolExecutor(workers) as pool:")
        out += [
            f"{_INDENT * 2}# Start every worker before the clock starts, as a long-lived service would.",
            f"{_INDENT * 2}list(pool.map(time.sleep, [0.1] * workers))",
            f"{_INDENT * 2}start = time.perf_counter()",
        ]
        out += _submit_all(plan, depth=2)
        out.append(f"{_INDENT}{_REPORT}")
        return out


class _Sequential(_Template):
    def note(self, plan: _Plan) -> str:
        return "One task after another on one thread: the baseline every other model is measured against."

    def main(self, plan: _Plan) -> list[str]:
        out = _main_head(plan)
        out.append(f"{_INDENT}start = time.perf_counter()")
        for i, group in enumerate(plan.scenario.groups):
            call = f"{plan.names[i]}({plan.args(i)})"
            if group.count == 1:
                out.append(f"{_INDENT}{call}")
            else:
                out += [f"{_INDENT}for _ in range({group.count}):", f"{_INDENT * 2}{call}"]
        out.append(f"{_INDENT}{_REPORT}")
        return out


class _Asyncio(_Template):
    coroutines = True
    imports = ("asyncio",)
    lock_line = "lock = asyncio.Lock()  # the scenario's one shared lock"

    def extra_imports(self, plan: _Plan) -> tuple[str, ...]:
        if plan.offloaded and plan.pool_size:
            return ("from concurrent.futures import ThreadPoolExecutor",)
        return ()

    def note(self, plan: _Plan) -> str:
        text = (
            "Every function that waits is a coroutine (async def), and so is every function that "
            "calls one: async and await spread from the waits up through every caller to asyncio.run. "
        )
        moved = sorted({_STEP_FUNCTIONS[k] for k in plan.offloaded & plan.kinds})
        kept = sorted({_STEP_FUNCTIONS[k] for k in plan.kinds - plan.offloaded - {"io", "net", "data"}})
        if moved:
            text += f"The plain calls ({', '.join(moved)}) go to a thread with asyncio.to_thread, so the loop "
            text += "keeps turning while they run. "
        if kept:
            text += f"The plain calls ({', '.join(kept)}) never await, so the whole loop stops while they run."
        return text.rstrip()

    def main(self, plan: _Plan) -> list[str]:
        out = ["async def run_all(" + ("server" if plan.uses_net else "") + "):"]
        if plan.offloaded and plan.pool_size:
            out += [
                f"{_INDENT}loop = asyncio.get_running_loop()",
                f"{_INDENT}loop.set_default_executor(ThreadPoolExecutor(max_workers={plan.pool_size}))",
            ]
        for i, group in enumerate(plan.scenario.groups):
            out += _collect("tasks", f"{plan.names[i]}({plan.args(i)})", group.count, first=i == 0, depth=1)
        out += [f"{_INDENT}await asyncio.gather(*tasks)", "", ""]
        out += _main_head(plan)
        out += [
            f"{_INDENT}start = time.perf_counter()",
            f"{_INDENT}asyncio.run(run_all(" + ("server" if plan.uses_net else "") + "))",
            f"{_INDENT}{_REPORT}",
        ]
        return out


#: The program shape of each model, by the model's name: the one place here that names models.
#: A model missing from it (gevent, asyncio-uvloop, Ray: not standard library) has no program yet;
#: :func:`code_models` leaves it out.
TEMPLATES: dict[str, _Template] = {
    "threads": _Threads(),
    "thread-pool": _ThreadPool(),
    "asyncio": _Asyncio(),
    "asyncio-offload": _Asyncio(),
    "process-pool": _ProcessPool(),
    "sequential": _Sequential(),
}

_REPORT = 'print(f"makespan: {(time.perf_counter() - start) * 1000:.1f} ms")'
_STEP_FUNCTIONS = {
    "cpu": "crunch",
    "native": "hash_bytes",
    "io": "wait",
    "net": "round_trip",
    "block": "blocking_call",
    "lock": "crunch",
}


def _main_head(plan: _Plan, switch: bool = True) -> list[str]:
    out = ["def main():"]
    if plan.uses_net:
        out.append(f"{_INDENT}server = start_echo_server()")
    if switch and plan.switch_seconds is not None:
        out.append(f"{_INDENT}sys.setswitchinterval({plan.switch_seconds}){plan.switch_comment}")
    return out


def _collect(name: str, item: str, count: int, *, first: bool, depth: int) -> list[str]:
    """``name = [item for _ in range(count)]`` (or ``+=``, or a loop when that line is too long)."""
    pad = _INDENT * depth
    op = "=" if first else "+="
    if count == 1:
        line = f"{pad}{name} = [{item}]" if first else f"{pad}{name}.append({item})"
    else:
        line = f"{pad}{name} {op} [{item} for _ in range({count})]"
    if len(line) <= LINE_LENGTH:
        return [line]
    out = [f"{pad}{name} = []"] if first else []
    if count == 1:
        return [*out, f"{pad}{name}.append({item})"]
    return [*out, f"{pad}for _ in range({count}):", f"{pad}{_INDENT}{name}.append({item})"]


def _submit_all(plan: _Plan, depth: int) -> list[str]:
    pad = _INDENT * depth
    out = []
    for i, group in enumerate(plan.scenario.groups):
        args = plan.args(i)
        call = f"pool.submit({plan.names[i]}" + (f", {args})" if args else ")")
        out += _collect("futures", call, group.count, first=i == 0, depth=depth)
    return [*out, f"{pad}for future in futures:", f"{pad}{_INDENT}future.result()"]


# -- the pieces every program shares ----------------------------------------------------------


def _crunch(plan: _Plan) -> list[str]:
    return [
        "def crunch(ms):",
        '    """Pure-Python work, holding the GIL, for ms of this thread\'s CPU time."""',
        "    stop = time.thread_time() + ms / 1000",
        "    x = 1",
        "    while time.thread_time() < stop:",
        "        for _ in range(1000):",
        "            x = (x * 1103515245 + 12345) & 0x7FFFFFFF",
        "    return x",
    ]


def _hash_bytes(plan: _Plan) -> list[str]:
    return [
        "def hash_bytes(ms):",
        '    """Hashing in C, with the GIL released, for ms of this thread\'s CPU time."""',
        "    stop = time.thread_time() + ms / 1000",
        "    while time.thread_time() < stop:",
        "        hashlib.sha256(BUFFER).digest()",
    ]


def _wait(plan: _Plan) -> list[str]:
    if plan.coroutines and "io" not in plan.offloaded:
        return [
            "async def wait(ms):",
            '    """Wait for a timer, as for I/O: other coroutines run meanwhile."""',
            "    await asyncio.sleep(ms / 1000)",
        ]
    return [
        "def wait(ms):",
        '    """Wait for a timer, as for I/O: other threads run meanwhile."""',
        "    time.sleep(ms / 1000)",
    ]


def _blocking_call(plan: _Plan) -> list[str]:
    return [
        "def blocking_call(ms):",
        '    """A call that blocks (time.sleep), from a library that knows nothing of asyncio."""',
        "    time.sleep(ms / 1000)",
    ]


def _network(plan: _Plan) -> list[str]:
    """The echo server (a process of its own, so it never takes this program's GIL) and the client side."""
    handle = [
        "    def handle(self):",
        "        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)",
        "        while data := self.request.recv(1024):",
    ]
    if plan.peer_delay_ms:
        handle.append("            time.sleep(PEER_DELAY_S)")
    handle.append("            self.request.sendall(data)")
    doc = (
        "Answer every message PEER_DELAY_S later, like a server that takes a moment."
        if plan.peer_delay_ms
        else "Send every message back."
    )
    out = [
        "class EchoHandler(socketserver.BaseRequestHandler):",
        f'    """{doc}"""',
        "",
        *handle,
        "",
        "",
        "class EchoServer(socketserver.ThreadingTCPServer):",
        "    daemon_threads = True",
        "    request_queue_size = 1024",
        "",
        "",
        "def serve_echo(addresses):",
        '    with EchoServer(("127.0.0.1", 0), EchoHandler) as server:',
        "        addresses.put(server.server_address)",
        "        server.serve_forever()",
        "",
        "",
        "def start_echo_server():",
        '    """Start the echo server in a process of its own: it must not share our GIL."""',
        "    addresses = multiprocessing.Queue()",
        "    multiprocessing.Process(target=serve_echo, args=(addresses,), daemon=True).start()",
        "    return addresses.get()",
        "",
        "",
    ]
    if plan.coroutines and "net" not in plan.offloaded:
        out += [
            "async def connect(server):",
            "    return await asyncio.open_connection(*server)",
            "",
            "",
            "async def round_trip(reader, writer):",
            '    """Send a message to the echo server and wait for it to come back."""',
            "    writer.write(MESSAGE)",
            "    await writer.drain()",
            "    await reader.readexactly(len(MESSAGE))",
        ]
    else:
        out += [
            "def connect(server):",
            "    sock = socket.create_connection(server)",
            "    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)",
            "    return sock",
            "",
            "",
            "def round_trip(sock):",
            '    """Send a message to the echo server and wait for it to come back."""',
            "    sock.sendall(MESSAGE)",
            '    answer = b""',
            "    while len(answer) < len(MESSAGE):",
            "        part = sock.recv(len(MESSAGE) - len(answer))",
            "        if not part:",
            '            raise ConnectionError("the echo server closed the connection")',
            "        answer += part",
        ]
    return out


_HELPERS: tuple[tuple[str, Callable[[_Plan], list[str]]], ...] = (
    ("cpu", _crunch),
    ("native", _hash_bytes),
    ("io", _wait),
    ("net", _network),
    ("block", _blocking_call),
)


def _step_lines(plan: _Plan, kind: str, amount: float, depth: int) -> list[str]:
    pad = _INDENT * depth
    fn = _STEP_FUNCTIONS[kind]
    if kind == "lock":
        work = f"crunch({_number(amount)})"
        if plan.coroutines and kind in plan.offloaded:
            work = f"await asyncio.to_thread(crunch, {_number(amount)})"
        head = "async with lock:" if plan.coroutines else "with lock:"
        return [f"{pad}{head}", f"{pad}{_INDENT}{work}"]
    if kind == "net":
        call = "await round_trip(reader, writer)" if plan.coroutines else "round_trip(sock)"
        n = int(amount)
        return [f"{pad}{call}"] if n == 1 else [f"{pad}for _ in range({n}):", f"{pad}{_INDENT}{call}"]
    if plan.coroutines and kind in plan.offloaded:
        return [f"{pad}await asyncio.to_thread({fn}, {_number(amount)})"]
    if plan.coroutines and kind == "io":
        return [f"{pad}await wait({_number(amount)})"]
    return [f"{pad}{fn}({_number(amount)})"]


def _group_function(plan: _Plan, index: int) -> list[str]:
    group = plan.scenario.groups[index]
    prefix = "async def" if plan.coroutines else "def"
    out = [f"{prefix} {plan.names[index]}({plan.params(index)}):"]
    net = "net" in group.kinds
    if net:
        out.append(
            f"{_INDENT}reader, writer = await connect(server)"
            if plan.coroutines
            else f"{_INDENT}sock = connect(server)"
        )
    depth = 1
    if group.repeat > 1:
        out.append(f"{_INDENT}for _ in range({group.repeat}):")
        depth = 2
    body = [line for kind, amount in group.steps if kind != "data" for line in _step_lines(plan, kind, amount, depth)]
    out += body or [f"{_INDENT * depth}pass"]
    if net:
        out.append(f"{_INDENT}writer.close()" if plan.coroutines else f"{_INDENT}sock.close()")
    if "data" in group.kinds:
        # The data goes back as the result: a process pool pickles it both ways, threads pass a reference.
        out.append(f"{_INDENT}return data")
    return out


def _docstring(plan: _Plan, template: _Template) -> list[str]:
    sc = plan.scenario
    paragraphs = [f"{_clean(sc.name)}, under {plan.model}."]
    if sc.description.strip():
        paragraphs.append(_clean(sc.description))
    paragraphs.append(f"{plan.model}: {_clean(plan.description)}. {template.note(plan)}")
    paragraphs.append(
        "Written by `threadloom code`: the scenario's work without Threadloom, standard library only. "
        "Run it with Python 3.10 or newer; it prints its makespan."
    )
    lines: list[str] = []
    for i, text in enumerate(paragraphs):
        wrapped = textwrap.wrap(text, width=LINE_LENGTH - 4, break_on_hyphens=False, break_long_words=False)
        if i:
            lines.append("")
        lines += wrapped
    lines[0] = '"""' + lines[0]
    return [*lines, '"""']


def _imports(plan: _Plan, template: _Template) -> list[str]:
    names = {"time"} | set(template.imports) | set(template.extra_imports(plan))
    kinds = plan.kinds
    if "native" in kinds:
        names.add("hashlib")
    if plan.uses_net:
        names |= {"multiprocessing", "socket", "socketserver"}
    if "lock" in kinds and template.lock_line.startswith("lock = threading"):
        names.add("threading")
    if plan.switch_seconds is not None:
        names.add("sys")
    plain = sorted(f"import {n}" for n in names if not n.startswith("from "))
    froms = sorted(n for n in names if n.startswith("from "))
    return plain + froms


def _constants(plan: _Plan, template: _Template) -> list[str]:
    kinds = plan.kinds
    out = []
    if "native" in kinds:
        out.append("BUFFER = bytes(256 * 1024)  # hashing over 2 KiB releases the GIL")
    if plan.uses_net:
        out.append("MESSAGE = bytes(16)")
        if plan.peer_delay_ms:
            out.append(f"PEER_DELAY_S = {_number(plan.peer_delay_ms / 1000, point=True)}  # [run].peer_delay_ms")
    if "lock" in kinds:
        out.append(template.lock_line)
    return out


# -- public API -------------------------------------------------------------------------------


def code_models() -> tuple[str, ...]:
    """The models this install knows and can write a program for, in display order."""
    return tuple(name for name in MODELS if name in TEMPLATES)


def generate_program(
    scenario: Scenario,
    model: str,
    *,
    switch_interval_ms: float | None = None,
    pool_size: int | None = None,
) -> str:
    """The standalone program that does ``scenario``'s work under ``model``.

    ``switch_interval_ms`` and ``pool_size`` replace the scenario's ``[run]`` values when given
    (as ``threadloom run`` does with its flags); a model without a pool ignores ``pool_size``.
    Raises :class:`~threadloom.errors.UsageError` for a model that is unknown or has no program.
    """
    if model not in MODELS:
        raise UsageError(f"unknown model {model!r}; allowed: {', '.join(code_models())}")
    template = TEMPLATES.get(model)
    if template is None:
        raise UsageError(f"the {model} model has no program yet; models with one: {', '.join(code_models())}")
    spec = spec_of(model)
    places = spec.step_places
    kinds = frozenset(kind for group in scenario.groups for kind in group.kinds)
    offloaded = frozenset(
        kind
        for kind in kinds
        if template.coroutines
        and places.get(kind, WORKER_LOOP) == WORKER_POOL_THREAD
        and kind not in ("io", "net", "data")
    )
    switch = switch_interval_ms if switch_interval_ms is not None else scenario.switch_interval_ms
    pool = pool_size if pool_size is not None else scenario.pool_size
    if not spec.has_pool or (template.coroutines and not offloaded):
        pool = None
    plan = _Plan(
        scenario=scenario,
        model=model,
        description=spec.description,
        switch_interval_ms=switch,
        pool_size=pool,
        peer_delay_ms=scenario.peer_delay_ms,
        coroutines=template.coroutines,
        offloaded=offloaded,
        names=_function_names(scenario),
    )
    blocks: list[list[str]] = [_docstring(plan, template), _imports(plan, template)]
    constants = _constants(plan, template)
    if constants:
        blocks.append(constants)
    text = "\n\n".join("\n".join(block) for block in blocks) + "\n"
    definitions = [fn(plan) for kind, fn in _HELPERS if kind in kinds or (kind == "cpu" and "lock" in kinds)]
    definitions += [_group_function(plan, i) for i in range(len(scenario.groups))]
    definitions += template.definitions(plan)
    definitions.append(template.main(plan))
    definitions.append(['if __name__ == "__main__":', f"{_INDENT}main()"])
    for block in definitions:
        text += "\n\n" + "\n".join(block) + "\n"
    return text


def program_file_name(scenario: Scenario, model: str) -> str:
    """A file name for the program: ``convoy-asyncio-offload.py``."""
    stem = re.sub(r"[^0-9a-z]+", "-", scenario.name.lower()).strip("-")[:40].strip("-") or "scenario"
    return f"{stem}-{model}.py"


# -- small helpers ----------------------------------------------------------------------------


def _function_names(scenario: Scenario) -> tuple[str, ...]:
    """One Python name per group: its own name made an identifier, unique, never one the program uses."""
    taken = set(_RESERVED) | set(dir(builtins))
    names = []
    for i, group in enumerate(scenario.groups):
        base = re.sub(r"_+", "_", re.sub(r"[^0-9a-z_]", "_", group.name.lower())).strip("_")[:MAX_NAME].strip("_")
        if not base or base[0].isdigit():
            base = f"group{i}"
        if keyword.iskeyword(base) or keyword.issoftkeyword(base) or base in taken:
            base = base[: MAX_NAME - 5] + "_task"
        name, n = base, 2
        while name in taken:
            name = f"{base[: MAX_NAME - 3]}_{n}"
            n += 1
        taken.add(name)
        names.append(name)
    return tuple(names)


def _number(value: float, point: bool = False) -> str:
    """A number as a person writes it: 300, 0.5, 0.0005 (never 5e-04); with ``point``, always a float literal."""
    text = format(Decimal(repr(float(value))).normalize(), "f")
    if point and "." not in text:
        text += ".0"
    return text


def _clean(text: str) -> str:
    """Text that may go inside a triple-quoted docstring as it is."""
    text = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return text.replace("\\", "/").replace('"""', "'''").rstrip('"') or "-"
