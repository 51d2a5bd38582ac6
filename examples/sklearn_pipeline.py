"""A scikit-learn pipeline on the 8x8 digits: scaling, PCA and a classifier, cross-validated.

Small and quick (about a second per trial, no TensorFlow), so the tests search it for real.
The classifier site chooses code, not just a constant: each candidate is built only if chosen.
"""

from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

x, y = load_digits(return_X_y=True)
n_components = 32  # glovec: oneof([8, 16, 32])
C = 1.0  # glovec: floatv(0.01, 100.0, scale="log")
classifier = LogisticRegression(C=C, max_iter=2000)  # glovec: oneof([LogisticRegression(C=C, max_iter=2000), SVC(C=C)])
pipeline = make_pipeline(StandardScaler(), PCA(n_components=n_components, random_state=0), classifier)
score = cross_val_score(pipeline, x, y, cv=3).mean()  # glovec: objective
print(f"cross-validated accuracy: {score:.4f}")
