"""Progress in logs: a tqdm bar on a terminal only; in a file or a scheduler's log, one plain
line every 5 % and at the end, with rate and ETA, and no carriage return."""
import io
import re

import pytest
from tqdm import tqdm

from gendd.engine import RunLogger
from gendd.engine.progress import LineProgress, clock_text, progress_meter

LINE = re.compile(r"^(?P<desc>.+): (?P<pct>\d+)% \((?P<n>\d+)/(?P<total>\d+)\), (?P<rate>[\d.e+]+) it/s, "
                  r"elapsed (?P<elapsed>\d+:\d\d:\d\d), ETA (?P<eta>\d+:\d\d:\d\d|\?)$")


class Terminal(io.StringIO):
    def isatty(self):
        return True


class FakeClock:
    """Advances ``tick`` seconds each time it is read after the start."""

    def __init__(self, tick):
        self.t, self.tick = 0.0, tick

    def __call__(self):
        now = self.t
        self.t += self.tick
        return now


def run(total, initial=0, tick=0.5, enabled=True):
    out = io.StringIO()
    with progress_meter(total, "epoch 1/3", initial, enabled=enabled, stream=out, clock=FakeClock(tick)) as bar:
        assert isinstance(bar, LineProgress)
        for _ in range(total - initial):
            bar.update(1)
    return out.getvalue()


def parsed(text):
    lines = text.splitlines()
    matches = [LINE.match(line) for line in lines]
    assert all(matches), lines
    return matches


def test_file_gets_one_line_every_5_percent_and_none_with_a_carriage_return():
    text = run(100)
    assert "\r" not in text
    lines = parsed(text)
    assert [int(m["pct"]) for m in lines] == list(range(5, 101, 5))
    assert [int(m["n"]) for m in lines] == list(range(5, 101, 5))
    assert lines[-1]["n"] == lines[-1]["total"] == "100"


def test_rate_and_eta_follow_the_clock():
    # The clock is read once at the start and once per printed line, 0.5 s apart: at the k-th
    # line (n = 5k steps) 0.5·k s have passed, so the rate is 10 steps/s and the ETA (100 - n)/10 s.
    lines = parsed(run(100, tick=0.5))
    for k, m in enumerate(lines, start=1):
        assert float(m["rate"]) == pytest.approx(10.0)
        assert m["elapsed"] == clock_text(0.5 * k)
        assert m["eta"] == clock_text((100 - 5 * k) / 10)
    assert lines[-1]["eta"] == "0:00:00"


@pytest.mark.parametrize("total, initial, expected", [
    (7, 0, 7),          # fewer steps than marks: one line per step
    (1000, 0, 20),      # many steps: still 20 lines
    (100, 50, 10),      # resumed half-way: only the marks ahead (55 % ... 100 %)
    (3, 0, 3),
])
def test_number_of_lines(total, initial, expected):
    lines = parsed(run(total, initial))
    assert len(lines) == expected
    assert lines[-1]["pct"] == "100"
    pcts = [int(m["pct"]) for m in lines]
    assert pcts == sorted(set(pcts)) and pcts[0] > 100 * initial // total


def test_resumed_rate_counts_only_this_process_steps():
    lines = parsed(run(100, initial=50, tick=1.0))
    # first line at n = 55: 5 steps in 1 s
    assert lines[0]["n"] == "55" and float(lines[0]["rate"]) == pytest.approx(5.0)


def test_disabled_rank_prints_nothing():
    assert run(100, enabled=False) == ""


def test_stopped_loop_prints_no_end_line():
    out = io.StringIO()
    with pytest.raises(RuntimeError):
        with progress_meter(100, "epoch", stream=out) as bar:
            bar.update(12)
            raise RuntimeError("pre-empted")
    assert [int(m["n"]) for m in parsed(out.getvalue())] == [12]


def test_terminal_gets_a_tqdm_bar():
    out = Terminal()
    with progress_meter(20, "epoch 1/3", stream=out) as bar:
        assert isinstance(bar, tqdm)
        for _ in range(20):
            bar.update(1)
    assert "\r" in out.getvalue()


def test_run_logger_progress_on_a_captured_stdout_writes_lines(tmp_path, capsys):
    logger = RunLogger(str(tmp_path), tensorboard=False)
    with logger.progress(40, "epoch 2/5", initial=0) as bar:
        for _ in range(40):
            bar.update(1)
    text = capsys.readouterr().out
    assert "\r" not in text
    assert len(parsed(text)) == 20 and text.splitlines()[-1].startswith("epoch 2/5: 100% (40/40)")
    quiet = RunLogger(str(tmp_path / "rank1"), enabled=False)
    with quiet.progress(40, "epoch 2/5") as bar:
        bar.update(40)
    assert capsys.readouterr().out == ""


def test_bad_interval_is_refused():
    with pytest.raises(ValueError, match="every"):
        LineProgress(10, "x", every=0)
