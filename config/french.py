"""The French of every English text people read: the key is the English, the value the French.

Placeholders (``{n}``) and Rich markup (``[bold]…[/]``) are kept as they are. French
typography: a space before ``:`` and ``%``; amounts and dates are formatted apart
(:class:`config.language.Words`). A text missing here is a bug that the tests find
(``tests/config/test_language.py``).
"""

from __future__ import annotations

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
    "Unknown action: {value}.": "Action inconnue : {value}.",
    "Unknown outcome: {value}.": "Résultat inconnu : {value}.",
    "The promised date must be a date.": "La date promise doit être une date.",
    "A promise to pay needs its date.": "Une promesse de paiement demande sa date.",
}
