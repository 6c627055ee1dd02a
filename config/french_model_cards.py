"""The French of the model cards' texts (:mod:`training.card_text`, its templates, ``encours
models --card`` and the card's link on ``/ui/models``), part of :data:`config.french.FRENCH`.

Apart from :mod:`config.french` to keep that module short; the same rules hold: the key is
the English, the value the French, placeholders kept, a space before ``:`` and ``%``.
"""

from __future__ import annotations

MODEL_CARD_FRENCH: dict[str, str] = {
    "Model card: {name} v{version}": "Fiche modèle : {name} v{version}",
    "late-payment model": "modèle de retard de paiement",
    "payment-time model": "modèle de délai de paiement",
    "onboarding model": "modèle d'entrée en relation",
    "Champion when registered: no champion to beat ({loss} {mine}).": (
        "Champion à l'enregistrement : aucun champion à battre ({loss} {mine})."
    ),
    "Champion when registered: its {loss} {mine} beat the champion's {theirs} on the same test.": (
        "Champion à l'enregistrement : son {loss} de {mine} a battu celui du champion, "
        "{theirs}, sur le même test."
    ),
    "Challenger when registered: its {loss} {mine} did not beat the champion's {theirs} on "
    "the same test.": (
        "Challenger à l'enregistrement : son {loss} de {mine} n'a pas battu celui du champion, "
        "{theirs}, sur le même test."
    ),
    "Data": "Données",
    "Trained on {n} invoices ({labelled} with a known outcome) of {clients} clients, issued "
    "from {start} to {last}; cut-off {cutoff}.": (
        "Entraîné sur {n} factures ({labelled} dont l'issue était connue) de {clients} clients, "
        "émises du {start} au {last} ; date de coupure le {cutoff}."
    ),
    "Tested out of time on {n} invoices of {clients} clients issued from {cutoff} to {last}, "
    "their outcomes as known on {known}; {unseen} of them from {new} clients unseen in "
    "training.": (
        "Testé hors période sur {n} factures de {clients} clients émises du {cutoff} au {last}, "
        "leur issue telle que connue le {known} ; {unseen} d'entre elles de {new} clients "
        "absents de l'entraînement."
    ),
    "Figures on the out-of-time test": "Résultats du test hors période",
    "this model": "ce modèle",
    "this model, clients unseen in training": "ce modèle, clients absents de l'entraînement",
    "baseline: logistic regression": "référence : régression logistique",
    "baseline: client's last delay": "référence : dernier retard du client",
    "baseline: paid on the due date": "référence : payé à l'échéance",
    "baseline: Kaplan–Meier": "référence : Kaplan–Meier",
    "Calibration": "Calibration",
    "predicted": "prévu",
    "observed": "observé",
    "the test invoices of clients unseen in training": (
        "les factures du test des clients absents de l'entraînement"
    ),
    "the test invoices whose outcome is known": "les factures du test dont l'issue est connue",
    "Predicted probability of paying late against the share observed late, in bins of as many "
    "invoices, on {subject}. Perfect calibration: the two columns equal.": (
        "Probabilité prévue de payer en retard face à la part observée en retard, par tranches "
        "d'autant de factures, sur {subject}. Calibration parfaite : les deux colonnes sont "
        "égales."
    ),
    "The payment dates' calibration is their P10–P90 coverage: {coverage} of payments fell "
    "inside the band (80 % expected).": (
        "La calibration des dates de paiement est leur couverture P10–P90 : {coverage} des "
        "paiements sont tombés dans l'intervalle (80 % attendus)."
    ),
    "This run logged no calibration table.": (
        "Cet entraînement n'a pas enregistré de table de calibration."
    ),
    "The plot: plots/calibration.png in the run.": (
        "Le graphique : plots/calibration.png dans l'entraînement."
    ),
    "The payment dates, expected and actual: plots/payment_dates.png in the run.": (
        "Les dates de paiement, attendues et réelles : plots/payment_dates.png dans l'entraînement."
    ),
    "How it was chosen": "Comment il a été choisi",
    "Not chosen among candidates: one model of its kind is trained, a discrete-time hazard "
    "LightGBM model, the open invoices counted as censored, its P10–P90 band recalibrated on "
    "held-back months.": (
        "Pas de choix entre candidats : un seul modèle de ce type est entraîné, un modèle "
        "LightGBM de risque en temps discret, les factures ouvertes comptées comme censurées, "
        "son intervalle P10–P90 recalibré sur des mois mis de côté."
    ),
    "Not chosen among candidates: one model of its kind is trained, a LightGBM model on the "
    "client's attributes and the invoice alone.": (
        "Pas de choix entre candidats : un seul modèle de ce type est entraîné, un modèle "
        "LightGBM sur les seuls attributs du client et la facture."
    ),
    "This run did not log a rolling-origin choice.": (
        "Cet entraînement n'a pas enregistré de choix par origines glissantes."
    ),
    "Too few invoices before the cut-off to validate the candidates: the linear model is "
    "served, the safest on few invoices.": (
        "Trop peu de factures avant la date de coupure pour valider les candidats : le modèle "
        "linéaire est servi, le plus sûr sur peu de factures."
    ),
    "No candidate beat the training period's late rate on the validation windows (log loss "
    "{loss}): this ledger is too small to learn from, and the late rate itself is served.": (
        "Aucun candidat n'a battu le taux de retard de la période d'entraînement sur les "
        "fenêtres de validation (log loss {loss}) : ce grand livre est trop petit pour en "
        "apprendre, et c'est le taux de retard lui-même qui est servi."
    ),
    "Chosen by rolling-origin validation inside the training period (origins {origins}): "
    "{chosen} had the lowest log loss on the invoices after each origin, {loss}.": (
        "Choisi par validation à origines glissantes dans la période d'entraînement (origines "
        "{origins}) : {chosen} a eu la plus faible log loss sur les factures suivant chaque "
        "origine, {loss}."
    ),
    "Next came {name}, {loss}.": "Venait ensuite {name}, {loss}.",
    "Known limits": "Limites connues",
    "Built for clients with no history: its figures are those of the {n} test invoices of "
    "{clients} clients unseen in training; once a client has settled invoices, the "
    "late-payment model speaks for it.": (
        "Conçu pour les clients sans historique : ses résultats sont ceux des {n} factures du "
        "test de {clients} clients absents de l'entraînement ; dès qu'un client a réglé des "
        "factures, le modèle de retard de paiement prend le relais."
    ),
    "Clients unseen in training: {n} test invoices of {clients} clients. The model knows "
    "nothing of them but their attributes, the invoice and what they settled since: {figure} "
    "{unseen} on them, against {overall} on every test invoice.": (
        "Clients absents de l'entraînement : {n} factures du test de {clients} clients. Le "
        "modèle n'en connaît que leurs attributs, la facture et ce qu'ils ont réglé depuis : "
        "{figure} de {unseen} sur eux, contre {overall} sur toutes les factures du test."
    ),
    "This run did not log how many invoices it learned from.": (
        "Cet entraînement n'a pas enregistré de combien de factures il a appris."
    ),
    "Small ledger: {n} invoices with a known outcome to learn from. Its figures move by "
    "several points from one test month to the next; the rolling-origin choice serves the "
    "late rate itself when no model beats it.": (
        "Petit grand livre : {n} factures d'issue connue pour apprendre. Ses résultats varient "
        "de plusieurs points d'un mois de test à l'autre ; le choix par origines glissantes "
        "sert le taux de retard lui-même quand aucun modèle ne le bat."
    ),
    "Learned from {n} invoices with a known outcome; a ledger of a few hundred invoices would "
    "give far less certain figures, and the late rate may then be served instead.": (
        "Appris de {n} factures d'issue connue ; un grand livre de quelques centaines de "
        "factures donnerait des résultats bien moins sûrs, et le taux de retard pourrait alors "
        "être servi à la place."
    ),
    "No client effect and no history: nothing of a client can go stale.": (
        "Ni effet client ni historique : rien d'un client ne peut vieillir."
    ),
    "Client effects: a per-client intercept learned before {cutoff}, frozen until the next "
    "training. At scoring it is moved by what the client settled since its last training "
    "invoice (an empirical-Bayes update read off the point-in-time history), so it is never "
    "staler than the client's last settlement: in the training period a client's successive "
    "settlements were {median} days apart at the median, {p90} days at the 90th percentile. A "
    "client that settles nothing keeps its effect of {cutoff}; the feature weights stay those "
    "learned before {cutoff} until the next training.": (
        "Effets clients : une constante par client apprise avant le {cutoff}, figée jusqu'au "
        "prochain entraînement. Au moment du score, elle est déplacée par ce que le client a "
        "réglé depuis sa dernière facture d'entraînement (une mise à jour bayésienne empirique "
        "lue dans l'historique à date) : elle n'est donc jamais plus ancienne que le dernier "
        "règlement du client. Sur la période d'entraînement, deux règlements successifs d'un "
        "client étaient espacés de {median} jours en médiane, {p90} jours au 90e centile. Un "
        "client qui ne règle rien garde son effet du {cutoff} ; les poids des variables restent "
        "ceux appris avant le {cutoff} jusqu'au prochain entraînement."
    ),
    "Client effects: a per-client intercept learned before {cutoff} and not updated at "
    "scoring: it is as old as the model, every day since {cutoff}. Retrain to refresh it.": (
        "Effets clients : une constante par client apprise avant le {cutoff} et non mise à "
        "jour au moment du score : elle a l'âge du modèle, chaque jour depuis le {cutoff}. "
        "Réentraînez pour la rafraîchir."
    ),
    "No client effect: the model reads a client's habits from its point-in-time history "
    "features, recomputed at each scoring, so nothing of a client is frozen; only the feature "
    "weights stay those learned before {cutoff}.": (
        "Pas d'effet client : le modèle lit les habitudes d'un client dans ses variables "
        "d'historique à date, recalculées à chaque score, si bien que rien d'un client n'est "
        "figé ; seuls les poids des variables restent ceux appris avant le {cutoff}."
    ),
    "This run did not log which candidate it chose: whether a client effect ages is unknown.": (
        "Cet entraînement n'a pas enregistré le candidat choisi : on ignore si un effet client "
        "vieillit."
    ),
    "Measured on invoices issued from {cutoff} to {last}: a downturn or a change of terms "
    "after that is not in these figures; retrain as the ledger moves on.": (
        "Mesuré sur les factures émises du {cutoff} au {last} : un retournement ou un "
        "changement de conditions de paiement après cela n'est pas dans ces résultats ; "
        "réentraînez à mesure que le grand livre avance."
    ),
    "mae_days counts the paid test invoices only; c_index_ipcw and integrated_brier count the "
    "open ones too (censored): read them for the slowest payers.": (
        "mae_days ne compte que les factures payées du test ; c_index_ipcw et integrated_brier "
        "comptent aussi les ouvertes (censurées) : lisez-les pour les payeurs les plus lents."
    ),
    "Features and their directions": "Variables et leurs sens",
    "direction": "sens",
    "up: likelier late as it grows": "hausse : retard plus probable quand elle croît",
    "down: less likely late as it grows": "baisse : retard moins probable quand elle croît",
    "free": "libre",
    "no constraint (payment-time model)": "sans contrainte (modèle de délai de paiement)",
    "your own column {name}": "votre colonne {name}",
    "This run did not log its features.": "Cet entraînement n'a pas enregistré ses variables.",
    "Not logged by this run": "Non enregistré par cet entraînement",
    "This version was registered before model cards existed: its card is built from what its "
    "run logged, without:": (
        "Cette version a été enregistrée avant les fiches modèle : sa fiche est construite à "
        "partir de ce que son entraînement a enregistré, sans :"
    ),
    "the evaluation report (evaluation.json)": "le rapport d'évaluation (evaluation.json)",
    "the first and last issue dates of the training and test invoices": (
        "les premières et dernières dates d'émission des factures d'entraînement et de test"
    ),
    "the cut-off": "la date de coupure",
    "the numbers of training invoices and of clients": (
        "les nombres de factures d'entraînement et de clients"
    ),
    "the calibration table (the plot, if logged, is shown)": (
        "la table de calibration (le graphique, s'il a été enregistré, est montré)"
    ),
    "the features (features.json)": "les variables (features.json)",
    "the monotone directions of the features": "les sens monotones des variables",
    "how far apart clients' settlements were": "l'espacement des règlements des clients",
    "the out-of-time figures": "les résultats hors période",
    "the rolling-origin choice of the model": "le choix du modèle par origines glissantes",
    "Unknown model: {name}; the models are {names}.": (
        "Modèle inconnu : {name} ; les modèles sont {names}."
    ),
    "{name} has no version {version}; its versions: {held}.": (
        "{name} n'a pas de version {version} ; ses versions : {held}."
    ),
    "none": "aucune",
    "No version of {name} is the {alias}.": "Aucune version de {name} n'est le {alias}.",
    "Model card": "Fiche modèle",
    "Model cards:": "Fiches modèle :",
    "No model card: {name} has no version {version}.": (
        "Pas de fiche modèle : {name} n'a pas de version {version}."
    ),
}
