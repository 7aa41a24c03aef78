"""The English-sentence detector used by the tests of user-facing text proves itself here:
it catches the English warnings the report used to print and lets French through."""

from __future__ import annotations

import pytest

from language import english_message_words, english_sentences, is_english, visible_text

# sentences the demo's report.html printed before they were translated
ENGLISH = [
    "289 services in the margin outside the territory kept (within 20 km of its border)",
    "217 service(s) farther than 10000 m from the network are not used for travel times: "
    "laposte:01006A (20.4 km)",
    "domain notes list 15 items; police/gendarmerie and supermarché/hypermarché are split "
    "here to reach 17: check against the observatory's publication.",
    "no service in inventory",
    "Expected a CSV file with a header line.",
]
FRENCH = [
    "Temps d'accès au service le plus proche, pondérés par la population.",
    "Réseau de substitution : ce n'est PAS un réseau routier. Fournir un extrait "
    "OpenStreetMap (.osm.pbf) ou la BD TOPO avec --network pour des temps réels.",
    "La Poste open data",  # a licence's own name
    "Panier de la vie courante (INSEE)",
    "Population à plus de 20 min : 1 234 habitants, soit 8,3 % ; car ou bus à la demande.",
    "Les notes du domaine listent 15 équipements : à vérifier avant toute publication.",
]


@pytest.mark.parametrize("sentence", ENGLISH[:3] + ENGLISH[4:])
def test_english_sentences_are_caught(sentence: str) -> None:
    assert is_english(sentence)
    found = english_sentences(f"Texte en français. {sentence}")
    assert found and all(piece in sentence for piece in found)


def test_a_short_english_phrase_with_one_function_word_is_not_a_sentence() -> None:
    # one function word among four: below the two-word floor, as a loan word would be
    assert not is_english(ENGLISH[3])


@pytest.mark.parametrize("sentence", FRENCH)
def test_french_sentences_pass(sentence: str) -> None:
    assert not is_english(sentence)
    assert english_sentences(sentence) == []


def test_visible_text_reads_alt_texts_and_skips_styles() -> None:
    html = ('<html><head><style>body { color: the red; }</style></head><body>'
            '<p>Bonjour &amp; bienvenue</p><img src="x.png" alt="Carte des communes">'
            "<script>if (this is it) {}</script></body></html>")
    assert visible_text(html) == ["Bonjour & bienvenue", "Carte des communes"]


# error messages the code raised before they were translated (issue 9, session 4)
ENGLISH_ERRORS = [
    "cutoff must be > 0 min",
    "decay band weight must be in [0, 1], got 1.5",
    "overlapping bands: two decay bands end at 5 min",
    "invalid YAML: mapping values are not allowed here",
    "unknown département code '999'",
    "fichier vide (attendu : a header line and data rows)",
    "workers must be at least 1, not 0",
    "empty JSON array",  # no function word: the error words catch it
    "unreadable CSV header: line contains NUL",
]
FRENCH_ERRORS = [
    "decay [[10, 1.5]] : attendu des poids entre 0 et 1, pas 1,5",
    "code de département « 999 » inconnu (attendu : l'un de 01, 02)",
    # the quoted parts are a library's or the user's words, not the message's
    "JSON invalide (« Expecting value ») (attendu : un tableau JSON d'objets)",
    "services.csv:3: champ « lat » : valeur invalide « not a number »",
    "pas un diagnostic (aucune des couches « services », « access_times », « run »)",
    "proximite.toml : analysis.potential_cutoffs_min 0 : attendu des temps limites > 0 min",
]


@pytest.mark.parametrize("message", ENGLISH_ERRORS)
def test_english_error_messages_are_caught_from_one_word(message: str) -> None:
    assert english_message_words(message)


@pytest.mark.parametrize("message", FRENCH_ERRORS)
def test_french_error_messages_pass(message: str) -> None:
    assert english_message_words(message) == []
