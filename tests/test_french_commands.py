"""Every French subcommand and option word shown in French help works."""

from __future__ import annotations

from adapters.console import ConsoleAdapter
from tests.conftest import say

UNKNOWN = ("inconnue", "inconnu :", "Option inconnue", "Unknown")


def _ok(out: str) -> None:
    errors = [line for line in out.splitlines() if any(w in line for w in UNKNOWN)]
    assert errors == [], out


def test_french_words_work_in_every_command(console: ConsoleAdapter) -> None:
    out = say(
        console,
        "/accord langue fr",
        "/accord fuseau Europe/Paris",
        "/accord entreprise ajouter Acme @alice",
        "/accord entreprise liste",
        "/accord bilan",
        "/accord rappels",
        "/accord aide",
        '/decide on lance le 1er avril #lancement',
        "/decide --remplace 1 on lance le 2 avril",
        "/decide --lien https://example.org/fil on garde le prix",
        "/decisions",
        "/decisions chercher lance",
        "/decisions voir 1",
        "/decisions exporter md",
        "/plan lancement 2026-05-01",
        '/plan ajouter "Brief agence" J-14 @alice',
        "/plan déplacer 1 J-10 parce que le client l’a demandé",
        "/plan voir 1",
        "/plan reporter 1 J-9",
        "/plan fait 1",
        '/plan ajouter "Kit presse" J-5',
        "/plan annuler 2",
        "/plan liste",
        "/plan exporter csv",
        '/kpi objectif "Co-lancement"',
        '/kpi métrique "Co-lancement" inscriptions cible 1 000 d’ici le 30/04/2026',
        '/kpi metrique "Co-lancement" abonnes cible 500 --garder-vanite',
        "/kpi noter inscriptions 12 partenaire:Acme canal:newsletter hier",
        "/kpi jeton",
        "/kpi jeton renouveler",
        "/kpi",
        "/contract",
        "/contract définir objectifs 500 inscriptions",
        "/contract modèle",
        "/contract modèle ajouter budget Budget partagé",
        "/contract modèle retirer budget",
        "/contract échéance 01/03/2027",
        "/contract échéance aucune",
        "/contract récap",
        "/contract confirmer",
        "/contract exporter md",
        "/partner ajouter Atelier Lune --secteur mode --zone FR --canaux instagram:12000",
        "/partner voir Atelier Lune",
        "/partner liste",
        "/match profil",
        "/match profil modifier audience parents;urbains",
        "/match --secteur mode --audience-min 1000",
    )
    _ok(out)
    assert "La décision n° 1" in out or "Décision n° 2" in out
    assert "Remplace\u00a0: #1" in out
    assert "Jalon n° 1 ajouté" in out
    assert "est fait" in out
    assert "Indicateur décisif inscriptions" in out
    assert "gardé volontairement" in out
    assert "Noté pour inscriptions\u00a0: 12" in out
    assert "Jeton de ce canal" in out
    assert "Atelier Lune" in out


def test_signing_and_ending_in_french(console: ConsoleAdapter) -> None:
    out = say(
        console,
        "/accord langue fr",
        "/contract signer https://example.org/signe.pdf",
        "/contract fin",
    )
    _ok(out)
