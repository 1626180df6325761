"""Go: one `package main` program per item, built with `go build`."""

from __future__ import annotations

import functools
import re

from sandbox.languages.base import (
    Language,
    Program,
    Toolchain,
    compile_step,
    numbered,
    on_path,
    require_toolchain,
    run_step,
    statement_tests,
    test_names,
)
from sandbox.result import RunRequest


@functools.cache
def toolchain() -> Toolchain:
    return on_path("go", ["version"])


NEWLINE_ENDS = True
DECLARATION = re.compile(
    r"^(var|const|type|func)\b|^(?!(for|if|switch|select|go|defer)\b)[\w\s,]+:="
)
ASSERTS = re.compile(r"\bpanic\(|\bos\.Exit\(")

_GO_HARNESS = """
var assayChannel = assay_os.NewFile(3, "assay-channel")

func assaySend(rec map[string]interface{}) {
	b, _ := assay_json.Marshal(rec)
	assayChannel.Write(append(b, '\\n'))
}

func assayTest(i int, body func()) {
	assaySend(map[string]interface{}{"e": "begin", "t": i})
	start := assay_time.Now()
	defer func() {
		d := assay_time.Since(start).Seconds()
		if r := recover(); r != nil {
			kind := "fail"
			if _, ok := r.(assay_runtime.Error); ok {
				kind = "error"
			}
			x := map[string]interface{}{"k": kind, "type": "panic", "m": assay_fmt.Sprint(r)}
			assaySend(map[string]interface{}{"e": "end", "t": i, "d": d, "x": x})
		} else {
			assaySend(map[string]interface{}{"e": "end", "t": i, "d": d})
		}
	}()
	body()
}
"""
_GO_OWN_IMPORTS = {
    "assay_json": "encoding/json",
    "assay_os": "os",
    "assay_fmt": "fmt",
    "assay_time": "time",
    "assay_runtime": "runtime",
}
_GO_STDLIB = ("reflect", "strings", "sort", "fmt", "math", "strconv", "errors", "bytes", "unicode")


def build(language: Language, request: RunRequest) -> Program:
    require_toolchain(language)
    pairs = statement_tests(
        request.tests, newline_ends=NEWLINE_ENDS, declaration=DECLARATION, asserts=ASSERTS
    )
    solution = re.sub(r"^\s*package\s+\w+\s*$", "", request.solution, count=1, flags=re.M)
    imports: dict[str, str] = {}  # import line -> path
    for block in re.findall(r"^import\s*\((.*?)\)", solution, flags=re.M | re.S):
        for line in block.splitlines():
            if line.strip() and not line.strip().startswith("//"):
                imports[line.strip()] = line.strip().split()[-1].strip('"')
    single = r'^import[ \t]+((?:[\w.]+[ \t]+)?"[^"\n]+")[ \t]*$'  # import [alias] "path"
    for path in re.findall(single, solution, flags=re.M):
        imports[path.strip()] = path.split()[-1].strip('"')
    solution = re.sub(r"^import\s*\(.*?\)", "", solution, flags=re.M | re.S)
    solution = re.sub(single, "", solution, flags=re.M)
    solution = re.sub(r"\bfunc\s+main\s*\(", "func assaySolutionMain(", solution)
    imported = set(imports.values())
    for pkg in _GO_STDLIB:
        if pkg not in imported and re.search(rf"\b{pkg}\.\w", request.tests):
            imports[f'"{pkg}"'] = pkg
    lines = [f'{alias} "{path}"' for alias, path in _GO_OWN_IMPORTS.items()] + list(imports)
    body = numbered(pairs, lambda i, s: f"assayTest({i}, func() {{\n{s}\n}})")
    source = (
        "package main\n\nimport (\n\t"
        + "\n\t".join(lines)
        + "\n)\n\n"
        + solution
        + "\n"
        + _GO_HARNESS
        + '\nfunc main() {\n\tassaySend(map[string]interface{}{"e": "start"})\n'
        + body
        + '\n\tassaySend(map[string]interface{}{"e": "done"})\n}\n'
    )
    # A cache per run (in the work dir): a shared one could be poisoned by a run.
    env = {"GOCACHE": "{workdir}/.gocache", "GOPATH": "{workdir}/.gopath", "GO111MODULE": "off"}
    env.update(CGO_ENABLED="0", GOTOOLCHAIN="local")
    steps = [
        compile_step(["go", "build", "-o", "prog", "main.go"]),
        run_step(["./prog"], request.timeout, "managed"),
    ]
    return Program(language.id, test_names(pairs), {"main.go": source}, steps, env)


LANGUAGES = [
    Language(
        "go",
        "Go",
        ("go", "golang"),
        ".go",
        lexer="go",
        editor="go",
        grammar="go",
        toolchain=toolchain,
        build=build,
    ),
]
