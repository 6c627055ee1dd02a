"""The French of every English text people read: the key is the English, the value the French.

Placeholders (``{n}``) and Rich markup (``[bold]…[/]``) are kept as they are. French
typography: a space before ``:`` and ``%``; amounts and dates are formatted apart
(:class:`config.language.Words`). A text missing here is a bug that the tests find
(``tests/config/test_language.py``).
"""

from __future__ import annotations

from config.french_collect import COLLECT_FRENCH
from config.french_ledger import LEDGER_FRENCH
from config.french_model_cards import MODEL_CARD_FRENCH
from config.french_monitor import MONITOR_FRENCH

FRENCH: dict[str, str] = {
    # relance steps and client profiles (config.language.ACTION_WORDS, PROFILE_WORDS)
    "preventive reminder": "relance préventive",
    "e-mail reminder": "relance e-mail",
    "phone call": "relance téléphonique",
    "reminder letter": "lettre de relance",
    "formal notice": "mise en demeure",
    "legal action": "contentieux",
    "strategic": "stratégique",
    "public sector": "secteur public",
    "risky": "à risque",
    "standard": "standard",
    # client risk (serving.risk_score.DESCRIPTIONS)
    "expected share of invoices paid late (late-payment model)": (
        "part attendue de factures payées en retard (modèle de retard)"
    ),
    "mean days late so far, pulled toward all clients' mean (clipped to 0–90)": (
        "retard moyen jusqu'ici en jours, rapproché de la moyenne de tous les clients "
        "(borné à 0–90)"
    ),
    "amount owed as a share of the credit limit (clipped to 0–2)": (
        "encours rapporté à la limite de crédit (borné à 0–2)"
    ),
    "recent days late minus the long-run mean; > 0 is slowing down (clipped to 30)": (
        "retard récent moins le retard moyen de long terme ; > 0 : le client ralentit (borné à 30)"
    ),
    "Client [bold]{client}[/] at {day}: score [bold]{score}[/]/100, grade [bold]{grade}[/] "
    "({n} open invoices)": (
        "Client [bold]{client}[/] au {day} : score [bold]{score}[/]/100, classe "
        "[bold]{grade}[/] ({n} factures ouvertes)"
    ),
    "component": "composante",
    "value": "valeur",
    "points lost": "points perdus",
    # worklist
    "Relances at {day}: {n} invoices of {total}, largest amount at risk first": (
        "Relances au {day} : {n} factures sur {total}, par montant à risque décroissant"
    ),
    "invoice": "facture",
    "client": "client",
    "profile": "profil",
    "due date": "échéance",
    "days late": "retard (j)",
    "open amount": "restant dû",
    "cur.": "dev.",
    "risk": "risque",
    "amount at risk": "montant à risque",
    "recommended step": "relance conseillée",
    "next step": "étape suivante",
    "penalties": "pénalités",
    "indemnity €": "indemnité €",
    "expected payment": "paiement attendu",
    "promise for {day}": "promesse au {day}",
    "{step} on {day}": "{step} le {day}",
    "No payment-time model: overdue invoices are ranked by their late probability and no "
    "payment date is expected; run `encours train`.": (
        "Pas de modèle de délai de paiement : les factures échues sont classées par leur "
        "probabilité de retard et aucune date de paiement n'est attendue ; lancez "
        "`encours train`."
    ),
    "{n} rows written to [bold]{path}[/]": "{n} lignes écrites dans [bold]{path}[/]",
    # forecast
    "Cash-in forecast at {day} ({currency}), {n} open invoices": (
        "Prévision d'encaissements au {day} ({currency}), {n} factures ouvertes"
    ),
    "from": "du",
    "to": "au",
    "expected cash-in": "encaissement attendu",
    "80 % band": "bande 80 %",
    "95 % band": "bande 95 %",
    "projected encours": "encours projeté",
    "DSO": "DSO",
    "Backtest of the cash-in forecast ({currency})": "Backtest des encaissements ({currency})",
    "forecast at": "prévision au",
    "week": "semaine",
    "collected": "encaissé",
    "model": "modèle",
    "on the due date": "à l'échéance",
    "mean delay": "retard moyen",
    "WAPE: model {model}, on the due date {due}, client's mean delay {delay}; weeks inside "
    "the 80 % band: {inside}": (
        "WAPE : modèle {model}, à l'échéance {due}, retard moyen du client {delay} ; "
        "semaines dans la bande 80 % : {inside}"
    ),
    "Warning:": "Attention :",
    "warning:": "attention :",
    # ledger commands
    "Simulated ledger up to {day} written to [bold]{out}[/]:": (
        "Grand livre simulé jusqu'au {day} écrit dans [bold]{out}[/] :"
    ),
    "{n} rows": "{n} lignes",
    "file": "fichier",
    "row": "ligne",
    "column": "colonne",
    "problem": "problème",
    "read": "lu",
    "table": "table",
    "inserted": "ajoutées",
    "updated": "modifiées",
    "unchanged": "inchangées",
    "import done": "import terminé",
    "as of": "au",
    "books (411 413 416 − 4191)": "comptabilité (411 413 416 − 4191)",
    "encours": "encours",
    "explained": "expliqué",
    "unexplained": "inexpliqué",
    "encours beside the books": "encours face à la comptabilité",
    "books {books}, encours {encours}, unexplained {unexplained}": (
        "comptabilité {books}, encours {encours}, inexpliqué {unexplained}"
    ),
    "{entries} entries ({lines} lines) written to [bold]{fec}[/]": (
        "{entries} écritures ({lines} lignes) écrites dans [bold]{fec}[/]"
    ),
    # KPIs
    "KPI": "indicateur",
    "KPIs at {day}": "Indicateurs au {day}",
    "days": "jours",
    "encours client": "encours client",
    "  overdue invoices": "  factures échues",
    "  invoices not yet due": "  factures non échues",
    "  invoices to issue": "  factures à émettre",
    "  discounted bills not yet due": "  effets escomptés non échus",
    "  − advances and deposits": "  − avances et acomptes",
    "  − unallocated (payments and credit notes not matched)": (
        "  − non affecté (règlements et avoirs non lettrés)"
    ),
    "DSO (encours × 365 / 12 months' sales incl. VAT)": "DSO (encours × 365 / CA TTC 12 mois)",
    "count-back DSO": "DSO count-back",
    "collection rate ({n} days)": "taux de recouvrement ({n} jours)",
    "doubtful receivables rate": "taux de créances douteuses",
    "mean encours per client": "encours moyen par client",
    "quick ratio": "liquidité immédiate",
    "aged balance: not due": "balance âgée : non échu",
    "  1–30 days": "  1–30 jours",
    "  31–60 days": "  31–60 jours",
    "  61–90 days": "  61–90 jours",
    "  > 90 days": "  > 90 jours",
    "  unallocated": "  non affecté",
    # lettrage
    "lettrage: {applied} applied, {review} to review, {skipped} of {lines} lines already done": (
        "lettrage : {applied} appliqués, {review} à revoir, {skipped} lignes sur {lines} "
        "déjà traitées"
    ),
    "line": "ligne",
    "amount": "montant",
    "rule": "règle",
    "confidence": "confiance",
    "status": "statut",
    "applied": "appliqué",
    "review": "à revoir",
    "rejected": "rejeté",
    # API keys
    ", until {moment} UTC": ", jusqu'au {moment} UTC",
    "API key {id}{label} created, role [bold]{role}[/]{until}. Token:": (
        "Clé d'API {id}{label} créée, rôle [bold]{role}[/]{until}. Jeton :"
    ),
    "Keep it now: it is not stored and cannot be shown again.": (
        "Conservez-le maintenant : il n'est pas enregistré et ne pourra plus être affiché."
    ),
    "No API key yet: `encours keys create --role viewer`.": (
        "Aucune clé d'API : `encours keys create --role viewer`."
    ),
    "{n} API keys": "{n} clés d'API",
    "id": "n°",
    "name": "nom",
    "role": "rôle",
    "created (UTC)": "créée (UTC)",
    "last used (UTC)": "dernier usage (UTC)",
    "expires (UTC)": "expire (UTC)",
    "revoked (UTC)": "révoquée (UTC)",
    "API key {id} revoked (since {moment} UTC).": "Clé d'API {id} révoquée (depuis {moment} UTC).",
    # database
    "the database is at revision {after}, the latest: nothing to do": (
        "la base est à la révision {after}, la dernière : rien à faire"
    ),
    "none (empty database)": "aucune (base vide)",
    "the database was migrated from revision {before} to {after}": (
        "la base a été migrée de la révision {before} à la révision {after}"
    ),
    "{current} (latest)": "{current} (la dernière)",
    "none (no encours schema)": "aucune (pas de schéma encours)",
    "{shown} (latest is {head}: run `encours db upgrade`)": (
        "{shown} (la dernière est {head} : lancez `encours db upgrade`)"
    ),
    # relance outcomes (config.language.OUTCOME_WORDS)
    "promise to pay": "promesse de paiement",
    "dispute": "litige",
    "no answer": "pas de réponse",
    "paid": "payé",
    # model commands (encours features, train, evaluate, models)
    "feature": "variable",
    "family": "famille",
    "type": "type",
    "meaning": "signification",
    "{n} features": "{n} variables",
    "… plus your own x_* columns of invoices and clients.": (
        "… plus vos propres colonnes x_* des factures et des clients."
    ),
    "out-of-time test: invoices issued from {start} to {end}": (
        "test hors période : factures émises du {start} au {end}"
    ),
    "baseline: {name}": "référence : {name}",
    "new clients: {name}": "nouveaux clients : {name}",
    "simulator's truth (best possible)": "vérité du simulateur (le mieux possible)",
    "{name} settled invoices {share}": "{name} factures réglées {share}",
    "Model ROC AUC = {share} of the truth's": "ROC AUC du modèle = {share} de celle de la vérité",
    " (clients with {bands})": " (clients avec {bands})",
    "Paid within {days} days of the due date: observed {observed}; predicted {censored} with "
    "open invoices as censored, {dropped} if they were dropped.": (
        "Payées dans les {days} jours suivant l'échéance : observé {observed} ; prévu "
        "{censored} avec les factures ouvertes comme censurées, {dropped} si on les écartait."
    ),
    "Trained on {n_train} invoices issued before {cutoff}, tested on {n_test} issued after.": (
        "Entraîné sur {n_train} factures émises avant le {cutoff}, testé sur {n_test} émises après."
    ),
    "{name} v{version} is now the champion.": "{name} v{version} est désormais le champion.",
    "{name} v{version} is registered as challenger.": (
        "{name} v{version} est enregistré comme challenger."
    ),
    "Late-payment model: {chosen} ({reason}).": "Modèle de retard : {chosen} ({reason}).",
    "Payment-time model: the booster alone (too few held-back payments).": (
        "Modèle de date de paiement : le booster seul (trop peu de paiements mis de côté)."
    ),
    "Payment-time model: the booster's curve moved {weight} of the way toward the client "
    "days model (held-back integrated Brier score: {figures}).": (
        "Modèle de date de paiement : la courbe du booster déplacée de {weight} vers le "
        "modèle de délai par client (score de Brier intégré sur les factures mises de côté : "
        "{figures})."
    ),
    "Rolling-origin validation (origins {origins})": (
        "Validation à origines glissantes (origines {origins})"
    ),
    "candidate": "candidat",
    "mae_days: paid test invoices only; c_index_ipcw and integrated_brier count the open ones "
    "too (censored, weighted by the chance of still being observed).": (
        "mae_days : factures payées du test seulement ; c_index_ipcw et integrated_brier "
        "comptent aussi les ouvertes (censurées, pondérées par la chance d'être encore "
        "observées)."
    ),
    "out of time (from {start})": "hors période (depuis le {start})",
    "  baseline: {name}": "  référence : {name}",
    "random 80/20, point in time": "aléatoire 80/20, à date",
    "published: {name}": "publié : {name}",
    "log loss": "log loss",
    "ROC AUC": "ROC AUC",
    "Brier": "Brier",
    "seconds": "secondes",
    "No model registered yet: run `encours train`.": (
        "Aucun modèle enregistré : lancez `encours train`."
    ),
    "aliases": "alias",
    "MAE days": "MAE (jours)",
    "coverage": "couverture",
    # pages: the aged balance and the KPIs (/ui/aged-balance, /ui/kpis)
    "Aged balance": "Balance âgée",
    "KPIs": "Indicateurs",
    "not due": "non échu",
    "1–30 days": "1–30 jours",
    "31–60 days": "31–60 jours",
    "61–90 days": "61–90 jours",
    "over 90 days": "> 90 jours",
    "unapplied cash": "non affecté",
    "total": "total",
    "invoices": "factures",
    "date": "date",
    "days past due": "jours de retard",
    "credit note": "avoir",
    "overdue": "échu",
    "not yet due": "non échu",
    "to be invoiced": "à émettre",
    "discounted bills not yet due": "effets escomptés non échus",
    "advances and deposits": "avances et acomptes",
    "= encours client": "= encours client",
    "collection rate": "taux de recouvrement",
    "doubtful receivables": "taux de créances douteuses",
    "{n} days": "{n} jours",
    "Currency:": "Devise :",
    "All clients": "Tous les clients",
    "By client": "Par client",
    "Aged balance by client": "Balance âgée par client",
    "Back to the aged balance": "Retour à la balance âgée",
    "The last twelve month ends": "Les douze dernières fins de mois",
    "Pages of the clients": "Pages des clients",
    "No open invoice at this date.": "Aucune facture ouverte à cette date.",
    "Open invoices of {client}": "Factures ouvertes de {client}",
    "the open invoices of {client}": "les factures ouvertes de {client}",
    "The first {shown} are shown.": "Les {shown} premières sont affichées.",
    "The parts of the encours client": "Les composantes de l'encours client",
    "Unknown client: {client}.": "Client inconnu : {client}.",
    "Unknown order: {value}.": "Tri inconnu : {value}.",
    "A currency is three capital letters, not {text}.": (
        "Une devise s'écrit en trois majuscules, pas {text}."
    ),
    "The page must be a number from 1, not {text}.": (
        "La page doit être un nombre à partir de 1, pas {text}."
    ),
    "Open invoices in {currency} at {day}, by days past due: {total}.": (
        "Factures ouvertes en {currency} au {day}, par ancienneté de retard : {total}."
    ),
    "{n} clients with an open invoice or unapplied cash, in {currency}; the largest first.": (
        "{n} clients avec une facture ouverte ou un non affecté, en {currency} ; "
        "les plus gros d'abord."
    ),
    "{n} open documents in {currency} at {day}; the most overdue first.": (
        "{n} pièces ouvertes en {currency} au {day} ; les plus en retard d'abord."
    ),
    "Receivables in {currency} at {day}, from what the ledger knew at the end of that day.": (
        "Créances en {currency} au {day}, selon ce que le grand livre savait ce jour-là au soir."
    ),
    "The KPIs at the last twelve month ends, in {currency}": (
        "Les indicateurs aux douze dernières fins de mois, en {currency}"
    ),
    "Aged balance in {currency} at the last twelve month ends, stacked by days past due; "
    "unapplied cash below zero.": (
        "Balance âgée en {currency} aux douze dernières fins de mois, empilée par ancienneté "
        "de retard ; le non affecté sous zéro."
    ),
    "Encours client in {currency} and its parts at the last twelve month ends.": (
        "Encours client en {currency} et ses composantes aux douze dernières fins de mois."
    ),
    "DSO and count-back DSO at the last twelve month ends, in days.": (
        "DSO et DSO count-back aux douze dernières fins de mois, en jours."
    ),
    # pages: the forecast, the client's sheet, the prospect, the models
    "Cash-in forecast": "Prévision d'encaissements",
    # forecast and models
    "Models": "Modèles",
    "Periods": "Périodes",
    "by week": "par semaine",
    "by day": "par jour",
    "Horizon (weeks)": "Horizon (semaines)",
    "Unknown period: {value}.": "Période inconnue : {value}.",
    "The horizon must be 1 to {n} weeks, not {value}.": (
        "L'horizon va de 1 à {n} semaines, pas {value}."
    ),
    "Unknown currency: {value}.": "Devise inconnue : {value}.",
    "No payment-time model is registered yet: run `encours train` first.": (
        "Aucun modèle de délai de paiement n'est encore enregistré : lancez d'abord "
        "`encours train`."
    ),
    "The payment-time model cannot be served: {reason}": (
        "Le modèle de délai de paiement ne peut pas servir : {reason}"
    ),
    "The ledger stops long before this date: payments since are not known, so this forecast "
    "understates cash-in. Choose an earlier date or import recent payments.": (
        "Le grand livre s'arrête bien avant cette date : les paiements reçus depuis ne sont "
        "pas connus, et cette prévision sous-estime les encaissements. Choisissez une date "
        "antérieure ou importez les paiements récents."
    ),
    "Forecast at {day} of {n} open invoices in {currency}, by the payment-time model v{version}.": (
        "Prévision au {day} de {n} factures ouvertes en {currency}, par le modèle de délai de "
        "paiement v{version}."
    ),
    "Encours client at {day}": "Encours client au {day}",
    "Expected in the first period": "Attendu sur la première période",
    "80 %: {low} – {high}": "80 % : {low} – {high}",
    "Projected encours at {day}": "Encours projeté au {day}",
    "Projected DSO at {day}": "DSO projeté au {day}",
    "Expected cash-in, with its 80 % and 95 % bands": (
        "Encaissements attendus, avec leurs intervalles à 80 % et 95 %"
    ),
    "Expected cash-in per period, with its 80 % and 95 % bands": (
        "Encaissements attendus par période, avec leurs intervalles à 80 % et 95 %"
    ),
    "Bands: each open invoice paid in full in a period or not, invoices of one client moving "
    "together; shocks shared by many clients are not in them. The projected encours is a "
    "run-off: no new sales beyond the unbilled.": (
        "Intervalles : chaque facture ouverte est payée en entier dans une période ou non, les "
        "factures d'un même client ensemble ; un choc commun à beaucoup de clients n'y est pas. "
        "L'encours projeté s'écoule sans nouvelles ventes au-delà des factures à émettre."
    ),
    "Backtest: past forecasts against what came in": (
        "Backtest : les prévisions passées face aux encaissements réels"
    ),
    "First week of each past forecast beside what was collected": (
        "Première semaine de chaque prévision passée, à côté de ce qui a été encaissé"
    ),
    "Forecasts made every two weeks over the ledger's last six months, four weeks each": (
        "Prévisions faites toutes les deux semaines sur les six derniers mois du grand livre, "
        "quatre semaines chacune"
    ),
    "method": "méthode",
    "weighted error (WAPE)": "erreur pondérée (WAPE)",
    "forecast": "prévision",
    "paid on the due date": "payé à l'échéance",
    "client's usual delay": "retard habituel du client",
    "Weeks whose collections fell inside the 80 % band: {share} (80 % expected).": (
        "Semaines dont les encaissements sont tombés dans l'intervalle à 80 % : {share} "
        "(80 % attendus)."
    ),
    "Every period": "Toutes les périodes",
    "Expected cash-in per period": "Encaissements attendus par période",
    "period": "période",
    "projected DSO": "DSO projeté",
    "{start} to {end}": "du {start} au {end}",
    "Figures of each version's out-of-time test, as its training run logged them, beside the "
    "simple baselines of the same test. The API answers with the champion it serves.": (
        "Résultats de chaque version sur sa période de test postérieure à l'entraînement, tels "
        "que son entraînement les a enregistrés, à côté des références simples du même test. "
        "L'API répond avec le champion qu'elle sert."
    ),
    "The last reload failed; the models below are still served.": (
        "Le dernier rechargement a échoué ; les modèles ci-dessous restent servis."
    ),
    "Late payment": "Retard de paiement",
    "Payment time": "Délai de paiement",
    "Onboarding": "Nouveau client",
    "No version registered yet: run `encours train`.": (
        "Aucune version enregistrée : lancez `encours train`."
    ),
    "The API serves version {v}, loaded at {when}.": (
        "L'API sert la version {v}, chargée le {when}."
    ),
    "Not served: {reason}": "Non servi : {reason}",
    "Not served.": "Non servi.",
    "Version {v} was promoted since: an admin reloads the models to serve it.": (
        "La version {v} a été promue depuis : un administrateur recharge les modèles pour la "
        "servir."
    ),
    "Figures of {model}": "Résultats du modèle {model}",
    "figure": "indicateur",
    "champion v{v}": "champion v{v}",
    "challenger v{v}": "challenger v{v}",
    "champion": "champion",
    "challenger": "challenger",
    "ROC AUC (higher is better)": "ROC AUC (plus haut, meilleur)",
    "PR AUC (higher is better)": "PR AUC (plus haut, meilleur)",
    "Brier score (lower is better)": "score de Brier (plus bas, meilleur)",
    "calibration error (lower is better)": "erreur de calibration (plus bas, meilleur)",
    "MAE in days (lower is better)": "erreur absolue moyenne en jours (plus bas, meilleur)",
    "RMSE in days (lower is better)": "RMSE en jours (plus bas, meilleur)",
    "P10–P90 coverage (80 % expected)": "couverture P10–P90 (80 % attendus)",
    "logistic regression": "régression logistique",
    "client's last delay": "dernier retard du client",
    "Pictures of version {v}": "Graphiques de la version {v}",
    "{picture} of {model} version {v}": "{picture} du modèle {model}, version {v}",
    "Calibration curve": "Courbe de calibration",
    "ROC curve": "Courbe ROC",
    "Payment dates, expected and actual": "Dates de paiement, attendues et réelles",
    "Worklist lift": "Gain de la liste de relances",
    "SHAP summary": "Synthèse SHAP",
    "Other pictures:": "Autres graphiques :",
    "No such picture: {file}.": "Pas de graphique {file}.",
    "The model registry cannot be read: {error}": (
        "Le registre des modèles ne peut pas être lu : {error}"
    ),
    "Who promoted what when": "Qui a promu quoi, et quand",
    "Versions of {model}": "Versions du modèle {model}",
    "version": "version",
    "now": "aujourd'hui",
    "registered": "enregistrée",
    "promoted": "promue",
    "{alias} since {when}": "{alias} depuis le {when}",
    "Aliases are given by `encours train` when a new version beats the champion on the same "
    "test; versions promoted before this record was kept show no date.": (
        "`encours train` donne les alias quand une nouvelle version bat le champion sur le même "
        "test ; les versions promues avant que ce registre soit tenu n'ont pas de date."
    ),
    # pages: shared
    "Pages": "Pages",
    "Skip to the content": "Aller au contenu",
    "As of": "Au",
    "Show": "Afficher",
    "Sign in": "Se connecter",
    "Sign out": "Se déconnecter",
    "API key": "Clé d'API",
    "The key your administrator made with `encours keys create`.": (
        "La clé que votre administrateur a créée avec `encours keys create`."
    ),
    "This API key is not valid.": "Cette clé d'API n'est pas valide.",
    "Too many wrong keys: try again in {n} s.": ("Trop de clés erronées : réessayez dans {n} s."),
    "The form has expired: please sign in again.": (
        "Le formulaire a expiré : veuillez vous reconnecter."
    ),
    "This page cannot be shown": "Cette page ne peut pas être affichée",
    "Back to the start": "Retour à l'accueil",
    "This page needs the {role} role.": "Cette page demande le rôle {role}.",
    "The date must be written YYYY-MM-DD, not {text}.": ("La date s'écrit AAAA-MM-JJ, pas {text}."),
    "Previous": "Précédente",
    "Next": "Suivante",
    "Page {n} of {pages}": "Page {n} sur {pages}",
    # pages: the worklist
    "Today's relances": "Relances du jour",
    "{n} invoices to chase at {day}, of {total} open; largest amount at risk first.": (
        "{n} factures à relancer au {day}, sur {total} ouvertes ; par montant à risque décroissant."
    ),
    "Export CSV": "Exporter en CSV",
    "Export Excel": "Exporter en Excel",
    "Action recorded on invoice {invoice}.": "Action enregistrée sur la facture {invoice}.",
    "late probability": "probabilité de retard",
    "P10–P90: {low} – {high}": "P10–P90 : {low} – {high}",
    "beyond a year": "au-delà d'un an",
    "action": "action",
    "Why?": "Pourquoi ?",
    "raises the risk": "augmente le risque",
    "lowers the risk": "diminue le risque",
    "No reason to show.": "Aucune raison à afficher.",
    "Log an action": "Noter une action",
    "What was done": "Action menée",
    "Outcome": "Résultat",
    "Promised for": "Promis pour le",
    "Record": "Enregistrer",
    "Nothing to chase at this date.": "Rien à relancer à cette date.",
    "Pages of the worklist": "Pages de la liste de relances",
    "Filters": "Filtres",
    "age": "ancienneté",
    "all": "tous",
    "collector": "chargé de recouvrement",
    "least amount": "montant minimum",
    "Filter": "Filtrer",
    "> 90 days": "> 90 jours",
    "The least amount must be a number.": "Le montant minimum doit être un nombre.",
    "Unknown age bucket: {value}.": "Ancienneté inconnue : {value}.",
    "Unknown action: {value}.": "Action inconnue : {value}.",
    "Unknown outcome: {value}.": "Résultat inconnu : {value}.",
    "The promised date must be a date.": "La date promise doit être une date.",
    "A promise to pay needs its date.": "Une promesse de paiement demande sa date.",
    # pages: the client's sheet and the prospect
    "%{text} paid %{x}: %{y} days late": "%{text} payée le %{x} : %{y} jours de retard",
    "%{x}: score %{y:.1f} (grade %{text})": "%{x} : score %{y:.1f} (note %{text})",
    "Agreed terms": "Délai convenu",
    "Amount TTC": "Montant TTC",
    "And {n} earlier.": "Et {n} plus anciennes.",
    "Country (ISO code)": "Pays (code ISO)",
    "Country: {country}": "Pays : {country}",
    "Credit limit considered": "Encours autorisé envisagé",
    "Credit limit granted": "Encours autorisé",
    "Currency": "Devise",
    "Days late of each settled invoice, on its payment date; below zero: paid early.": (
        "Retard en jours de chaque facture réglée, à sa date de paiement ; sous zéro : payée "
        "en avance."
    ),
    "Deposit": "Acompte",
    "Due date": "Date d'échéance",
    "Empty: none yet.": "Vide : aucun pour l'instant.",
    "Empty: the order's own terms.": "Vide : le délai de la commande elle-même.",
    "Expected days late": "Retard attendu (jours)",
    "From 100, the points each component takes off, down to the score.": (
        "De 100, les points que chaque composante retire, jusqu'au score."
    ),
    "Grade": "Note",
    "Issue date": "Date d'émission",
    "Model: {name} v{version}": "Modèle : {name} v{version}",
    "New client": "Nouveau client",
    "New client: score a first order": "Nouveau client : noter une première commande",
    "No client {id} in the ledger.": "Aucun client {id} dans le grand livre.",
    "No invoice in the last 12 months: no credit limit to suggest.": (
        "Aucune facture sur les 12 derniers mois : pas d'encours à suggérer."
    ),
    "No invoice settled yet.": "Aucune facture réglée pour l'instant.",
    "No month end with invoices yet.": "Aucune fin de mois avec des factures pour l'instant.",
    "No relance logged yet.": "Aucune relance notée pour l'instant.",
    "Nothing open at this date: the score reads a typical new invoice.": (
        "Rien d'ouvert à cette date : le score lit une nouvelle facture type."
    ),
    "Open amount": "Montant ouvert",
    "Open invoices": "Factures ouvertes",
    "Open invoices and their predictions": "Factures ouvertes et leurs prévisions",
    "Payment history": "Historique de paiement",
    "Payment terms": "Délai de paiement",
    "Payment terms are a whole number of days, from 0 to 365.": (
        "Le délai de paiement est un nombre entier de jours, de 0 à 365."
    ),
    "Payment terms asked for (days)": "Délai de paiement demandé (jours)",
    "Public sector is ticked or not.": "Secteur public est coché ou non.",
    "Public-sector buyer": "Acheteur du secteur public",
    "Relances and promises": "Relances et promesses",
    "Risk score (100 = safest)": "Score de risque (100 = le plus sûr)",
    "Risk score at each month end, from {first} to {last}.": (
        "Score de risque à chaque fin de mois, du {first} au {last}."
    ),
    "Score at the last 12 month ends": "Score aux 12 dernières fins de mois",
    "Score this client": "Noter ce client",
    "Sector": "Secteur",
    "Sector: {sector}": "Secteur : {sector}",
    "Seen at {day}.": "Vu au {day}.",
    "Some fields need correcting: see beside them.": (
        "Certains champs sont à corriger : voir à côté d'eux."
    ),
    "Suggested credit limit": "Encours autorisé suggéré",
    "Suggested terms for grade {grade}": "Conditions suggérées pour la note {grade}",
    "The amount is a number above 0 with at most 2 decimals, such as 8 400,00.": (
        "Le montant est un nombre supérieur à 0 avec au plus 2 décimales, comme 8 400,00."
    ),
    "The client": "Le client",
    "The country is a code of at most 64 characters, such as FR.": (
        "Le pays est un code d'au plus 64 caractères, comme FR."
    ),
    "The credit limit is an amount of 0 or more, such as 50 000,00.": (
        "L'encours autorisé est un montant de 0 ou plus, comme 50 000,00."
    ),
    "The currency is a code of 3 capital letters, such as EUR.": (
        "La devise est un code de 3 lettres capitales, comme EUR."
    ),
    "The due date is a date on or after the issue date.": (
        "La date d'échéance est une date égale ou postérieure à la date d'émission."
    ),
    "The figures": "Les chiffres",
    "The first order": "La première commande",
    "The issue date is a date, such as 01/07/2025.": (
        "La date d'émission est une date, comme 01/07/2025."
    ),
    "The onboarding rule for grade {grade}, a month of this client's invoicing ({amount} "
    "{currency} on average over the last 12 months) taken as the first order.": (
        "La règle d'entrée en relation de la note {grade}, un mois de facturation de ce client "
        "({amount} {currency} en moyenne sur les 12 derniers mois) tenant lieu de première "
        "commande."
    ),
    "The prospect's score": "Le score du prospect",
    "The sector is a text of at most 200 characters.": (
        "Le secteur est un texte d'au plus 200 caractères."
    ),
    "What the onboarding model says of a client the ledger does not hold yet, from who it is "
    "and its first order; the same answer as POST /v1/clients/score.": (
        "Ce que le modèle d'entrée en relation dit d'un client absent du grand livre, d'après "
        "qui il est et sa première commande ; la même réponse que POST /v1/clients/score."
    ),
    "Why this score: points lost by component": "Pourquoi ce score : points perdus par composante",
    "best score": "meilleur score",
    "days late so far": "retard passé en jours",
    "disputed": "en litige",
    "due": "échéance",
    "expected late share": "part attendue en retard",
    "issued": "émise le",
    "month end": "fin de mois",
    "owed against the credit limit": "dû rapporté à l'encours autorisé",
    "paid late": "payée en retard",
    "paid on time or early": "payée à temps ou en avance",
    "points": "points",
    "prepayment": "paiement d'avance",
    "score": "score",
    "slowing down": "ralentissement",
    "{n} invoices settled; {late} of them late.": "{n} factures réglées, dont {late} en retard.",
    # features --out, score, the Dask engine (encours.cli.engines)
    "{rows} rows of {columns} columns written to [bold]{path}[/] ({engine}).": (
        "{rows} lignes de {columns} colonnes écrites dans [bold]{path}[/] ({engine})."
    ),
    **MODEL_CARD_FRENCH,  # config/french_model_cards.py
    # the collection commands (letters, LME, affacturage): config/french_collect.py
    **COLLECT_FRENCH,
    # encours monitor, retrain, GET /v1/monitoring: config/french_monitor.py
    **MONITOR_FRENCH,
    # encours aged-balance: config/french_ledger.py
    **LEDGER_FRENCH,
}
