"""The in-app guide (Help > Huebrush Help, F1): how to colour a photo, and every shortcut.

A bundled app has no README beside it, so what a new user needs lives here.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QTextBrowser, QVBoxLayout, QWidget

#: (keys, what they do), as the shortcuts table shows them.
SHORTCUTS: tuple[tuple[str, str], ...] = (
    ("Click on the photo", "add a colour point (it changes nothing until you choose its colour)"),
    ("Drag a point", "move it (a selected point: all the selected ones)"),
    ("Shift+click or Ctrl+click a point", "add it to the selection, or take it out"),
    ("Shift+drag or Ctrl+drag on the photo", "select the points inside a box"),
    ("Ctrl+A", "select all points"),
    (
        "P, then drag on the photo",
        "paint a stroke of points; one pick colours all of it (N off: in your last colour)",
    ),
    ("P, then Shift+click", "a straight stroke on from where the last one ended"),
    ("P, then right-drag on the photo", "erase the points it passes over"),
    ("G", "make the selected points grey (stops a colour running over an edge)"),
    ("I, then click the photo (or Alt+click)", "give the selected points the colour shown there"),
    ("Right-click a point / Delete", "remove it / the selected points"),
    ("[ / ]", "smaller / bigger selected points (none selected: new points and strokes)"),
    ("Arrow keys (Shift: x10)", "nudge the selected points by a screen pixel"),
    ("Arrow keys on the colour square (Shift: x5)", "fine-tune the colour"),
    ("Tab / Shift+Tab, Esc", "select the next / previous point, none"),
    ("N", "new points keep the colour shown and wait for yours (off: your last colour)"),
    ("K", "keep the rest: points colour only their own regions"),
    ("Ctrl+Shift+Backspace", "remove all hints"),
    ("Ctrl+Z / Ctrl+Shift+Z", "undo / redo"),
    ("Wheel, Ctrl++ / Ctrl+-", "zoom"),
    ("Middle drag, Space+drag, drag on empty photo", "pan"),
    ("F or Ctrl+0 / 1 or Ctrl+1", "fit / 100%"),
    ("D / S", "side by side / before-after split"),
    ("B (toggle), hold \\", "show the original"),
    ("H", "hide points"),
    ("F11", "full screen"),
    ("Ctrl+O", "open a photo"),
    ("Ctrl+V", "open the photo on the clipboard"),
    ("Page Down / Page Up", "next / previous photo in the folder"),
    ("Ctrl+S / Ctrl+Shift+S", "save the hints beside the photo / elsewhere"),
    ("Ctrl+Shift+O", "load hints from a hint file"),
    ("Ctrl+Shift+C / Ctrl+Shift+V", "copy the hints / paste them onto another photo"),
    ("Ctrl+E / Ctrl+Shift+E", "export this photo / every photo of its folder"),
    ("Ctrl+,", "preferences"),
    ("F1", "this help"),
    ("Ctrl+Q", "quit"),
)


GUIDE = """
<h2>Colouring a photo</h2>
<ol>
<li><b>Open</b> a black-and-white photo (Ctrl+O, or drop it on the window). Without any
hints the network colours it automatically.</li>
<li><b>Click</b> where you know the colour: a colour point appears, at first with the colour
shown there (its white ring dotted), and the picture stays as it is until you choose the
point's colour under <i>Colour of point</i>: the square holds every colour
possible at that point's brightness; <i>Suggested</i> are the colours the network finds
likely there, most likely first and each a different colour (a swatch's tip says how
likely); <i>Recent</i> are yours.</li>
<li><b>Correct</b> what is still wrong with more points. Where a colour runs over an edge,
a point of the right colour on the other side (grey for grey) stops it. Where one point
recolours the whole photo (a red skirt turning the whole scene red), Edit &gt; Keep the Rest
(K) keeps the automatic colours away from your points (a dashed ring round the selected
point shows how far its colour may reach; [ and ] make it reach less or further). Drag
points to move
them; Delete or right-click removes one; [ and ] make it smaller or bigger. Shift+click
points, or Shift+drag a box round them, to select several: they then move, take a colour,
resize and go together. Along a long or thin region (a kerb, a sleeve), Paint Points (P)
lays a stroke of points where you drag, all selected, so one pick colours it; Shift+click
draws a straight stroke on from the last one, and a right-drag erases. The eyedropper (I,
or Alt+click) gives the selected points a colour shown elsewhere in the photo. File &gt;
Open Reference Photo shows a colour photo beside the work (a museum print of the uniform,
today's street): a click on it gives the selected points its colour there.</li>
<li><b>Palette</b> (optional): colours the whole photo should have, with weights, or
<i>From photo…</i> to take them from a colour photo of a similar scene;
<i>Saturation</i> sets how colourful the result is.</li>
<li><b>Export</b> (Ctrl+E) at full resolution: the photo's own lightness, bit depth and
metadata stay as they were.</li>
</ol>
<h3>Series of photos</h3>
<p>File &gt; Open Folder (or a folder dropped on the window) opens its first photo; Page
Down and Page Up open the next and previous photo of the folder. Copy Hints and
Paste Hints (Ctrl+Shift+C, Ctrl+Shift+V) carry the points, palette and settings to the next
photo of a series. File &gt; Export Folder colours every photo of the folder with its saved
hints. Preferences, <i>Save hints without asking</i>, saves each photo's hints when you move
on.</p>
<h3>Your work</h3>
<p>Save Session (Ctrl+S) writes <i>photo.hints.json</i> beside the photo; opening the photo
again brings the hints back. Unsaved work is autosaved and offered back after a crash.
Every export saves its hints beside it too.</p>
<h3>Faded scans</h3>
<p>Image &gt; Enhance Lightness for the Network lets the network see a stretched or
equalised lightness; the result keeps the photo's own tones unless you ask otherwise.</p>
"""


def help_html() -> str:
    """The guide and the shortcut table as one HTML page."""
    rows = "".join(f"<tr><td><b>{escape_html(k)}</b></td><td>{v}</td></tr>" for k, v in SHORTCUTS)
    return f"{GUIDE}<h3>Mouse and keyboard</h3><table cellspacing=6>{rows}</table>"


class HelpDialog(QDialog):
    """A non-modal window with the guide, so it can stay open beside the photo."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Huebrush Help")
        self.text = QTextBrowser()
        self.text.setHtml(help_html())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        lay = QVBoxLayout(self)
        lay.addWidget(self.text)
        lay.addWidget(buttons)
        self.resize(620, 640)


def escape_html(text: str) -> str:
    """text with HTML's special characters escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
