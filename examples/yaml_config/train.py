"""A scikit-learn classifier on the 8x8 digits whose hyper-parameters live in a YAML file.

The program reads ``conf/config.yaml`` (beside it) with ``yaml.safe_load``, as many training
scripts do; the search space is marked in that file's comments, not here:

    glovec space train.py --config conf/config.yaml
    glovec run train.py --config conf/config.yaml --trials 10
    glovec materialize train.py --config conf/config.yaml --best   # conf/config_materialized.yaml

Each trial reads its own values from ``conf/config.yaml`` (docs/rules.md, "Config files");
the file itself is never written. A second of work per trial.
"""

import os

import yaml
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "conf", "config.yaml"), encoding="utf-8") as handle:
    config = yaml.safe_load(handle)

x, y = load_digits(return_X_y=True)
model = config["model"]
pipeline = make_pipeline(
    StandardScaler(),
    PCA(n_components=config["features"]["pca_components"], random_state=config["seed"]),
    SVC(C=model["C"], kernel=model["kernel"], gamma=model["gamma"]),
)
score = cross_val_score(pipeline, x, y, cv=config["cv_folds"]).mean()  # glovec: objective
print(f"cross-validated accuracy: {score:.4f}")
