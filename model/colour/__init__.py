"""Colour science: CIELAB conversions, the sRGB gamut, the 313 ab bins and lightness enhancement."""
