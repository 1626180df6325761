"""Hand-written items for the quality tests: well-specified ones and quota fillers."""

from __future__ import annotations

import copy


def item(
    query_id="good-py",
    text="Write a Python function named `running_max` that returns, for a list of integers, "
    "the list of maximums seen so far. Language: Python. Function name: running_max",
    code="def running_max(xs):\n    out, best = [], None\n    for x in xs:\n"
    "        best = x if best is None or x > best else best\n        out.append(best)\n    return out\n",
    tests="assert running_max([1, 3, 2, 5]) == [1, 3, 3, 5]\nassert running_max([]) == []\n"
    "assert running_max([-1, -2]) == [-1, -1]\n",
    language="Python",
    name="running_max",
    difficulty="medium",
    category="algorithms",
    complexity=0.4,
) -> dict:
    return {
        "query_id": query_id,
        "query_text": text,
        "reference_answer": code,
        "assertions": tests,
        "metadata": {
            "language": language,
            "function_name": name,
            "difficulty": difficulty,
            "category": category,
            "complexity": complexity,
        },
    }


def with_(base: dict, **changes) -> dict:
    """A copy of `base` with top-level fields or `metadata.<key>` replaced."""
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if key.startswith("meta_"):
            out["metadata"][key[5:]] = value
        else:
            out[key] = value
    return out


GOOD_PY = item()
GOOD_TS = item(
    query_id="good-ts",
    text="Write a TypeScript function named `chunkArray` that splits an array into chunks of a "
    "given size; the last chunk holds the remainder. Language: TypeScript. Function name: chunkArray",
    code="function chunkArray<T>(arr: T[], size: number): T[][] {\n  const out: T[][] = [];\n"
    "  for (let i = 0; i < arr.length; i += size) {\n    out.push(arr.slice(i, i + size));\n  }\n"
    "  return out;\n}\n",
    tests="if (JSON.stringify(chunkArray([1, 2, 3], 2)) !== JSON.stringify([[1, 2], [3]])) throw new Error('Failed');\n"
    "if (JSON.stringify(chunkArray([], 3)) !== JSON.stringify([])) throw new Error('Failed');\n"
    "if (chunkArray([1, 2, 3, 4], 2).length !== 2) throw new Error('Failed');\n",
    language="TypeScript",
    name="chunkArray",
)
GOOD_GO = item(
    query_id="good-go",
    text="Write a Go function named `CountVowels` that counts the vowels (a, e, i, o, u, any case) "
    "in a string. Language: Go. Function name: CountVowels",
    code='package main\n\nimport "strings"\n\nfunc CountVowels(s string) int {\n\tn := 0\n'
    '\tfor _, r := range strings.ToLower(s) {\n\t\tif strings.ContainsRune("aeiou", r) {\n'
    "\t\t\tn++\n\t\t}\n\t}\n\treturn n\n}\n",
    tests='if CountVowels("hello") != 2 { panic("Failed") }\nif CountVowels("") != 0 { panic("Failed") }\n'
    'if CountVowels("AEIOU") != 5 { panic("Failed") }\n',
    language="Go",
    name="CountVowels",
)
GOOD_RUST = item(
    query_id="good-rs",
    text="Write a Rust function named `dedup_sorted` that removes consecutive duplicate values "
    "from a sorted vector. Language: Rust. Function name: dedup_sorted",
    code="pub fn dedup_sorted(mut v: Vec<i32>) -> Vec<i32> {\n    v.dedup();\n    v\n}\n",
    tests="assert_eq!(dedup_sorted(vec![1, 1, 2]), vec![1, 2]);\nassert_eq!(dedup_sorted(vec![]), vec![]);\n"
    "assert_eq!(dedup_sorted(vec![3, 3, 3]), vec![3]);\n",
    language="Rust",
    name="dedup_sorted",
)
GOOD_RUBY = item(
    query_id="good-rb",
    text="Write a Ruby function named `word_frequency` that counts how often each lower-cased "
    "word occurs in a string. Language: Ruby. Function name: word_frequency",
    code="def word_frequency(text)\n  text.downcase.scan(/\\w+/).tally\nend\n",
    tests="result = word_frequency(\"a b a\")\nraise 'Failed' unless result['a'] == 2\n"
    "raise 'Failed' unless word_frequency('')  == {}\nraise 'Failed' unless result['b'] == 1\n",
    language="Ruby",
    name="word_frequency",
)
GOOD_ITEMS = [GOOD_PY, GOOD_TS, GOOD_GO, GOOD_RUST, GOOD_RUBY]

_LANGS = [
    (
        "TypeScript",
        "typescriptFunc{n}",
        "function {name}(x: any): any {{\n  {body}\n}}",
        "return x;",
        "if ({name}({v}) !== {v}) throw new Error('Failed');",
    ),
    (
        "Python",
        "python_func_{n}",
        "def {name}(x):\n    {body}\n",
        "return x",
        "assert {name}({v}) == {v}",
    ),
    (
        "Rust",
        "rust_func_{n}",
        "pub fn {name}(x: i32) -> i32 {{\n    {body}\n}}",
        "x",
        "assert_eq!({name}({v}), {v});",
    ),
    (
        "Go",
        "GoFunc{n}",
        "package main\n\nfunc {name}(x int) int {{\n\t{body}\n}}",
        "return x",
        'if {name}({v}) != {v} {{ panic("Failed") }}',
    ),
    (
        "Java",
        "javaMethod{n}",
        "public class Solution {{\n  public static int {name}(int x) {{\n    {body}\n  }}\n}}",
        "return x;",
        'if (Solution.{name}({v}) != {v}) throw new RuntimeException("Failed");',
    ),
]
_STATEMENTS = [
    "implements a {level} level algorithm",
    "solves a {level} problem",
    "implements the required functionality",
    "performs a {level} level {category} operation",
    "implements a {category} task of {level} difficulty",
]


def placeholder_items(count: int = 100) -> list[dict]:
    """Quota fillers in the shapes of a real rejected set: generated names, statements
    that name no behaviour, identity or constant solutions, identity-only tests."""
    items = []
    for n in range(count):
        language, name_t, code_t, body, test_t = _LANGS[n % len(_LANGS)]
        name = name_t.format(n=n + 10)
        level = ("medium", "advanced", "very_advanced")[n % 3]
        category = ("algorithms", "data_structures", "strings")[n % 3]
        statement = _STATEMENTS[n % len(_STATEMENTS)].format(
            level=level.replace("_", " "), category=category
        )
        text = f"Write a {language} function named `{name}` that {statement}. Language: {language}. Function name: {name}"
        if n % 7 == 3:  # some return a constant instead of the argument
            body = {"Rust": "0", "Python": "return 0"}.get(language, "return 0;")
        tests = "\n".join(test_t.format(name=name, v=v) for v in (1, 5, 42)[: 1 + n % 3])
        items.append(
            item(
                f"ph-{n}",
                text,
                code_t.format(name=name, body=body),
                tests,
                language,
                name,
                level,
                category,
                0.5,
            )
        )
    return items
