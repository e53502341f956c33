"""The quality and speed reports as markdown, and the quality plot."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from training.bench.quality import PALETTE_K, PALETTE_KEY, PALETTE_NOTE

# Zhang et al. 2017 (SIGGRAPH17), PSNR on ImageNet validation photos; only the values we
# have from the paper are drawn, not interpolated ones.
PUBLISHED_SIGGRAPH17 = {0: 24.4, 1: 25.4, 5: 27.4, 10: 28.4, 50: 30.4}

PUBLISHED_LABEL = "SIGGRAPH17 on ImageNet (published, other photos)"


def quality_markdown(report: dict[str, Any]) -> str:
    """The quality report as a markdown table."""
    meta = report["meta"]
    lines = [
        f"Quality on {meta['dataset']['images']} photos from `{meta['dataset']['folder']}` "
        f"({meta['eval_size']}x{meta['eval_size']}, seed {meta['seed']}, "
        f"weights {meta['weights'].get('id') or 'not used'}).",
        "",
        "| Engine | Points | PSNR (dB) | ± SE | SSIM | Colourfulness |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for key, by_n in report["results"].items():
        label = f"net + {PALETTE_K}-colour palette" if key == PALETTE_KEY else key
        for n, r in by_n.items():
            lines.append(
                f"| {label} | {n} | {r['psnr']:.2f} | {r['psnr_se']:.2f} | {r['ssim']:.4f} "
                f"| {r['colourfulness']:.1f} |"
            )
    gt = report["ground_truth"]
    lines.append(f"| ground truth | – | – | – | 1.0000 | {gt['colourfulness']:.1f} |")
    pub = ", ".join(f"{n}: {v}" for n, v in PUBLISHED_SIGGRAPH17.items())
    lines += ["", f"{PUBLISHED_LABEL}, PSNR by points: {pub}."]
    reused = meta.get("reused")
    if reused and reused["engines"]:
        lines.append(
            f"Rows of {', '.join(reused['engines'])} reused from the run of {reused['date']} "
            "(same photos, seed and points; they do not depend on the weights)."
        )
    if PALETTE_KEY in report["results"]:
        lines.append(PALETTE_NOTE)
    return "\n".join(lines) + "\n"


def quality_plot(report: dict[str, Any], path: Path) -> bool:
    """PSNR against points with standard-error bars; False when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import FixedLocator, ScalarFormatter
    except ImportError:
        return False
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ticks: set[int] = set(PUBLISHED_SIGGRAPH17)
    for key, by_n in report["results"].items():
        ns = [int(n) for n in by_n]
        ticks.update(ns)
        label = f"net + {PALETTE_K}-colour palette" if key == PALETTE_KEY else key
        ax.errorbar(
            ns,
            [by_n[str(n)]["psnr"] for n in ns],
            yerr=[by_n[str(n)]["psnr_se"] for n in ns],
            marker="o",
            capsize=3,
            linestyle=":" if key == PALETTE_KEY else "-",
            label=label,
        )
    pub_n = list(PUBLISHED_SIGGRAPH17)
    ax.plot(
        pub_n, [PUBLISHED_SIGGRAPH17[n] for n in pub_n], "--", color="0.4", label=PUBLISHED_LABEL
    )
    # symlog keeps 0 points on the axis while 1..100 spread out as on a log scale.
    ax.set_xscale("symlog", linthresh=1, linscale=0.5)
    ax.xaxis.set_major_locator(FixedLocator(sorted(ticks)))
    ax.xaxis.set_major_formatter(ScalarFormatter())
    ax.xaxis.set_minor_locator(FixedLocator([]))
    ax.set_xlabel("simulated points (6x6 patches)")
    ax.set_ylabel("PSNR, 8-bit sRGB (dB)")
    meta = report["meta"]
    ax.set_title(f"{meta['dataset']['folder']}: {meta['dataset']['images']} photos, mean ± SE")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return True


#: Environment variables that hold torch and oneDNN below the CPU's instruction set.
ISA_VARIABLES = ("ATEN_CPU_CAPABILITY", "ONEDNN_MAX_CPU_ISA")


def export_line(exp: dict[str, Any]) -> str:
    """The 24-megapixel disk-to-disk export as one line: the median run's stages."""
    extra = ""
    if exp.get("rss_peak_mb") is not None and exp.get("rss_before_mb") is not None:
        extra = f"; {exp['rss_peak_mb'] - exp['rss_before_mb']:.0f} MB RSS above the start"
    runs = ", ".join(f"{t:.2f}" for t in exp["totals_s"])
    return (
        f"- {exp['width']}x{exp['height']} grey JPEG, {exp['points']} points, default finish, "
        f"to PNG through huebrush-colorize (median of {exp['repeats']}: {runs} s): "
        f"**{exp['total_s']:.2f} s** = load {exp['load_s']:.2f} + network {exp['network_s']:.2f}"
        f" + render {exp['render_s']:.2f} + PNG {exp['save_s']:.2f} "
        f"({exp['png_mb']:.1f} MB){extra}"
    )


def batch_line(row: dict[str, Any]) -> str:
    """A batch through huebrush-colorize as one line."""
    hints = f"{row['points']} points each, default finish" if row["points"] else "no hints"
    return (
        f"- Batch: huebrush-colorize on a folder of {row['photos']} {row['width']}x"
        f"{row['height']} grey JPEGs, {hints}: **{row['per_minute']:.0f} photos a minute** "
        f"({row['batch_s']:.1f} s for the folder, {row['one_photo_s']:.1f} s for one photo)"
    )


def speed_markdown(report: dict[str, Any]) -> str:
    """The speed report as markdown."""
    m = report["meta"]["machine"]
    held = report["meta"].get("isa_held") or {}
    lines = [
        f"Speed on {m['processor']} ({m['cpu_count']} CPUs, torch {m['torch']}), "
        f"weights {report['meta']['weights']['id']}"
        + (", held to " + " ".join(f"{k}={v}" for k, v in held.items()) if held else "")
        + ".",
        "",
        "| Device | Precision | Threads | Working size | Measure | p50 ms | p95 ms | n |",
        "|---|---|---:|---:|---|---:|---:|---:|",
    ]
    for dev in report["devices"]:
        for r in dev["latency"] + dev["threads"]:
            lines.append(
                f"| {r['device']} | {r['precision']} | {r['threads']} | {r['working_size']} "
                f"| {r['measure']} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['n']} |"
            )
    lines.append("")
    for dev in report["devices"]:
        lines.append(f"- Model load ({dev['name']}): {dev['load_s']:.2f} s")
    if isinstance(report["cuda"], str):
        lines.append(f"- CUDA: {report['cuda']}")
    exp = report["export"]
    if "skipped" in exp:
        lines.append(f"- 24 MP export: skipped ({exp['skipped']})")
    else:
        lines.append(export_line(exp))
    for row in report.get("batch", []):
        lines.append(batch_line(row))
    mem = report["memory"]
    line = f"- Peak memory: {mem['peak_rss_mb']:.0f} MB RSS"
    if mem.get("cuda_max_allocated_mb") is not None:
        line += f", {mem['cuda_max_allocated_mb']:.0f} MB CUDA allocated"
    lines.append(line)
    return "\n".join(lines) + "\n"
