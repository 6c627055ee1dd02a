"""The French of monitoring: ``encours monitor``, ``encours retrain``, ``GET /v1/monitoring``
and the models page's alerts (merged into :data:`config.french.FRENCH`)."""

from __future__ import annotations

MONITOR_FRENCH: dict[str, str] = {
    "Alert:": "Alerte :",
    "Drift of model v{v} against its training window {start} – {end} ({n} invoices)": (
        "Dérive du modèle v{v} par rapport à sa fenêtre d'apprentissage {start} – {end} "
        "({n} factures)"
    ),
    "Matured scores at {day}: {n}; P10–P90 coverage {coverage}, cash error "
    "(WAPE, 30 days) {wape}": (
        "Scores arrivés à maturité au {day} : {n} ; couverture P10–P90 {coverage}, erreur "
        "sur les encaissements (WAPE, 30 jours) {wape}"
    ),
    "No alert: no figure crossed its threshold.": "Aucune alerte : aucun indicateur n'a "
    "franchi son seuil.",
    "Scenario {name} from {day}.": "Scénario {name} à partir du {day}.",
    "features that moved most (PSI)": "variables les plus déplacées (PSI)",
    "last {n} days": "{n} derniers jours",
    "late share": "part en retard",
    "mean p_late": "p_retard moyenne",
    "month scored": "mois du score",
    "score PSI": "PSI du score",
    "scores": "scores",
    "unseen clients": "clients inconnus du modèle",
    "window": "fenêtre",
    "Monitoring of the late-payment model": "Surveillance du modèle de retard de paiement",
    "PSI of the score over the last {window} days: {value} (above {threshold})": (
        "PSI du score sur les {window} derniers jours : {value} (au-dessus de {threshold})"
    ),
    "PSI of feature {subject} over the last {window} days: {value} (above {threshold})": (
        "PSI de la variable {subject} sur les {window} derniers jours : {value} "
        "(au-dessus de {threshold})"
    ),
    "{value} of the last {window} days' invoices are from clients the model never saw "
    "(above {threshold})": (
        "{value} des factures des {window} derniers jours viennent de clients que le modèle "
        "n'a jamais vus (au-dessus de {threshold})"
    ),
    "Late share minus mean predicted probability, {subject}, outcomes of the last {window} "
    "days: {value} (beyond ±{threshold})": (
        "Part en retard moins probabilité prédite moyenne, {subject}, issues des {window} "
        "derniers jours : {value} (au-delà de ±{threshold})"
    ),
    "ROC AUC of the outcomes of the last {window} days: {value} (below {threshold})": (
        "ROC AUC des issues des {window} derniers jours : {value} (en dessous de {threshold})"
    ),
    "The champions are kept: nothing to retrain.": "Les champions sont conservés : rien à "
    "réentraîner.",
    "{name} v{v} is the new champion (loss {loss} against {champion})": (
        "{name} v{v} est le nouveau champion (perte {loss} contre {champion})"
    ),
    "{name} v{v} stays challenger (loss {loss} against {champion})": (
        "{name} v{v} reste challenger (perte {loss} contre {champion})"
    ),
}
