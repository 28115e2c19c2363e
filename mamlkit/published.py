"""Published numbers the course compares against (cited from the papers, see each constant's source)."""

# MAML paper (Finn, Abbeel, Levine 2017), Appendix C: 5-shot sinusoid MSE after 1 / 5 / 10 gradient steps.
MAML_SINUSOID_5SHOT = {
    "maml": {1: 0.67, 5: 0.38, 10: 0.35},
    "pretrained": {1: 2.41, 5: 2.23, 10: 2.19},
}

# Few-shot classification accuracy (%, mean ± 95% interval) as collected in the iMAML paper (Rajeswaran et al.
# 2019); these data sets are not available offline, so the course cites rather than reproduces them.
FEW_SHOT_CLASSIFICATION = {
    "columns": ["Omniglot 5-way 1-shot", "Omniglot 20-way 1-shot", "Mini-ImageNet 5-way 1-shot"],
    "maml": [(98.7, 0.4), (95.8, 0.3), (48.70, 1.84)],
    "fomaml": [(98.3, 0.5), (89.4, 0.5), (48.07, 1.75)],
    "reptile": [(97.68, 0.04), (89.43, 0.14), (49.97, 0.32)],
    "imaml": [(99.16, 0.35), (94.46, 0.42), (48.96, 1.84)],
}

# MAML paper Table 1, Mini-ImageNet 5-way 5-shot: second order vs first order, and the time first order saved.
MINI_IMAGENET_5WAY_5SHOT = {"maml": (63.11, 0.92), "fomaml": (63.15, 0.91), "fomaml_time_saved": 0.33}
