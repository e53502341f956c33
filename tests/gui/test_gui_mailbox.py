"""The worker's inbox on its own: which job runs next, without a thread or a network."""

from __future__ import annotations

import time
from pathlib import Path

from gui.mailbox import Mailbox
from gui.workitems import ExportJob, SuggestRequest
from model.colour.enhance import EnhanceSettings
from model.hints.document import Hints


def taken(box: Mailbox, views: bool = False) -> tuple[str, object] | None:
    return box.next_job(lambda: views, lambda: None)


def test_screen_work_in_order_newest_render_wins() -> None:
    box = Mailbox(("cpu", 256))
    for generation in (1, 2, 3):
        box.request(generation, 7, Hints())
    box.export(ExportJob(7, Path("a.png"), Hints(), 8))
    box.open_photo("photo", None, 7)
    box.set_enhancement(EnhanceSettings("stretch"))
    assert box.superseded == 2 and box.latest_generation == 3
    assert box.enhancement == EnhanceSettings("stretch")  # as soon as it is asked for
    kinds = [taken(box) for _ in range(5)]
    assert [k[0] for k in kinds] == ["config", "enhance", "open", "export", "render"]
    assert kinds[-1][1].generation == 3
    assert not box.has_work()


def test_deferred_waits_for_its_spell_and_suggestions_for_the_screen() -> None:
    box = Mailbox(("cpu", 256))
    taken(box)  # the configuration
    box.defer("refine", 0.05, "args")
    box.request_suggestions(SuggestRequest(1, "key", Hints(), 0.5, 0.5, 3))
    t0 = time.monotonic()
    assert taken(box) == ("refine", "args")  # the spell first; the suggestions did not cut it
    assert time.monotonic() - t0 >= 0.04
    assert taken(box)[0] == "suggest" and box.suggestion is None


def test_views_are_prepared_in_the_finishs_pause_and_newer_work_drops_it() -> None:
    box = Mailbox(("cpu", 256))
    taken(box)
    box.defer("finish", 60.0, (1, 1, Hints()))
    assert taken(box, views=True) == ("views", None)
    box.request(2, 1, Hints())
    assert taken(box, views=True)[0] == "render" and box.deferred is None


def test_settle_ends_a_drags_wait_for_its_full_update() -> None:
    box = Mailbox(("cpu", 256))
    taken(box)
    box.request(5, 1, Hints(), interim=True)
    req = taken(box)[1]
    box.defer_final(req, 3600.0)
    assert box.deferred[1] == 3600.0  # the pointer may still move
    box.settle(5)
    assert taken(box) == ("final", req)
    box.stop()
    assert taken(box) is None
