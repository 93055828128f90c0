"""标牌 (附件3): content rules and SVG / PDF rendering of the 40 cm × 60 cm plaque."""
