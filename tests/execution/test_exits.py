from bgtasks.execution.exits import ExitFacts, explain_exit


def facts(**changes):
    base = dict(
        exit_code=0, oom_killed=False, timed_out=False, terminated=False, memory_mib=64, time_limit_seconds=30
    )
    return ExitFacts(**{**base, **changes})


def test_success_has_no_message():
    assert explain_exit(facts(), ["done"]) is None


def test_non_zero_exit_names_the_code_and_shows_the_last_lines():
    message = explain_exit(facts(exit_code=3), ["reading", "boom"])
    assert message.startswith("exited with code 3")
    assert message.endswith("  reading\n  boom")


def test_oom_and_time_limit_are_named_with_their_limits():
    assert explain_exit(facts(exit_code=137, oom_killed=True), []) == "killed: exceeded memory limit 64 MiB"
    assert explain_exit(facts(exit_code=143, timed_out=True), []) == "killed: time limit 30 s reached"
