"""write_sessions: a worker SIGKILLed in the middle of filling its file (not while building the session)."""

from __future__ import annotations

import microscopy_builder as mb
from batch_helpers import make
from common import read


def test_a_worker_killed_mid_fill_fails_alone_and_leaves_its_old_file(tmp_path):
    old = tmp_path / "s0.nwb"
    make(9).write(old)
    before = old.read_bytes()
    jobs = [mb.SessionJob(make=make, path=tmp_path / f"s{k}.nwb", args=(k,), kwargs={"die": k == 0},
                          write_options={"overwrite": True, "buffer_bytes": 16 * 16 * 2 * 32}) for k in range(3)]
    results = mb.write_sessions(jobs)
    assert [r.ok for r in results] == [False, True, True], [str(r) for r in results]
    assert results[0].error_type == "WorkerDied"
    assert old.read_bytes() == before
    for k in (1, 2):
        with read(tmp_path / f"s{k}.nwb") as nwbfile:
            assert nwbfile.acquisition[f"S{k}"].data.shape == (300, 16, 16)
    make(5).write(old, overwrite=True)  # the next writer clears the dead one's partial file
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s0.nwb", "s1.nwb", "s2.nwb"]
