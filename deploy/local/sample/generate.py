#!/usr/bin/env python3
# Generator for the bundled Accord sample data set (German B2B customer data).
#
# Writes contacts.csv, campaigns.csv, deals.csv, engagement.csv, orders.csv
# and lead_decisions.csv next to this script.
# Python 3 standard library only. Deterministic: a fixed random seed and no
# dependence on hash ordering, so re-running it writes byte-identical files.
#
#     python3 deploy/local/sample/generate.py
#
# Deliberately bad rows (contacts.csv only, placed in the middle of the file)
# to demonstrate the reject file:
#   M-10427      invalid e-mail address "kein-at-zeichen.de"
#   003A0000815  unparseable updated_at "31.02.2025 25:00"
#   M-10563      wrong column count (too few fields: city, country and
#                lifecycle_stage are missing)
# The other files contain no bad rows.
#
# Other things worth knowing:
#   * 40 people exist in both systems (one marketing row, one crm row) with
#     the same e-mail spelled differently (case and/or surrounding spaces,
#     the spaces are kept inside quotes), sometimes with a different phone,
#     job title, lifecycle stage and updated_at.
#   * 10 marketing records appear twice, version 1 and version 2.
#   * 15 deals appear twice with an increasing version (stage moved on).
#   * Every deal's contact_email is one of the contact e-mails (any spelling).

import random
import unicodedata
from datetime import datetime, timedelta, timezone
from pathlib import Path

SEED = 20250314
OUT_DIR = Path(__file__).resolve().parent

BAD_INVALID_EMAIL_ID = "M-10427"
BAD_DATE_ID = "003A0000815"
BAD_COLUMNS_ID = "M-10563"

N_BOTH = 40              # people in both systems
N_MARKETING_ONLY = 117   # includes the versioned ones
N_MARKETING_VERSIONED = 10
N_CRM_ONLY = 90
N_DEALS = 105            # distinct deals
N_DEAL_UPDATES = 15      # deals with a second, later version

TS_START = datetime(2024, 1, 2, tzinfo=timezone.utc)
TS_END = datetime(2025, 11, 14, tzinfo=timezone.utc)

CONTACT_COLUMNS = [
    "source_system", "record_id", "version", "updated_at", "email",
    "first_name", "last_name", "company", "job_title", "phone", "city",
    "country", "lifecycle_stage",
]
CAMPAIGN_COLUMNS = [
    "source_system", "campaign_id", "version", "updated_at", "name",
    "channel", "start_date", "budget",
]
DEAL_COLUMNS = [
    "source_system", "deal_id", "version", "updated_at", "contact_email",
    "name", "stage", "amount", "currency",
]

# city -> (country, dialling area code without leading zero)
CITIES = {
    "München": ("DE", "89"), "Köln": ("DE", "221"), "Düsseldorf": ("DE", "211"),
    "Nürnberg": ("DE", "911"), "Würzburg": ("DE", "931"),
    "Lüneburg": ("DE", "4131"), "Hamburg": ("DE", "40"), "Berlin": ("DE", "30"),
    "Stuttgart": ("DE", "711"), "Frankfurt am Main": ("DE", "69"),
    "Hannover": ("DE", "511"), "Leipzig": ("DE", "341"), "Dresden": ("DE", "351"),
    "Bremen": ("DE", "421"), "Augsburg": ("DE", "821"),
    "Regensburg": ("DE", "941"), "Freiburg im Breisgau": ("DE", "761"),
    "Karlsruhe": ("DE", "721"), "Bielefeld": ("DE", "521"),
    "Münster": ("DE", "251"), "Osnabrück": ("DE", "541"),
    "Göttingen": ("DE", "551"), "Mannheim": ("DE", "621"), "Essen": ("DE", "201"),
    "Dortmund": ("DE", "231"), "Kiel": ("DE", "431"), "Lübeck": ("DE", "451"),
    "Saarbrücken": ("DE", "681"), "Erfurt": ("DE", "361"), "Jena": ("DE", "3641"),
    "Bamberg": ("DE", "951"), "Kempten (Allgäu)": ("DE", "831"),
    "Rosenheim": ("DE", "8031"),
    "Wien": ("AT", "1"), "Graz": ("AT", "316"), "Linz": ("AT", "732"),
    "Salzburg": ("AT", "662"), "Innsbruck": ("AT", "512"),
    "Zürich": ("CH", "44"), "Basel": ("CH", "61"), "Bern": ("CH", "31"),
    "St. Gallen": ("CH", "71"), "Luzern": ("CH", "41"),
}

# (company name, domain, city, e-mail pattern)
COMPANIES = [
    ("Müller Maschinenbau GmbH", "mueller-maschinenbau.de", "München", "first.last"),
    ("Müller, Schmidt & Partner GmbH", "mueller-schmidt-partner.de", "Düsseldorf", "first.last"),
    ("Weiß, Hoffmann & Co. KG", "weiss-hoffmann.de", "Nürnberg", "f.last"),
    ("Becker, Braun und Söhne GmbH & Co. KG", "becker-braun.de", "Würzburg", "first.last"),
    ("Krüger, Lang & Kollegen Steuerberatungsgesellschaft mbH", "kl-steuer.de", "Lüneburg", "f.last"),
    ("Pichler, Gruber & Partner GmbH", "pichler-gruber.at", "Linz", "first.last"),
    ('Brauerei "Zum Löwen" Schröder KG', "brauerei-zum-loewen.de", "Bamberg", "first.last"),
    ("Schröder Logistik AG", "schroeder-logistik.de", "Hamburg", "first.last"),
    ("Bäckerei Groß e.K.", "baeckerei-gross.de", "Köln", "last"),
    ("Stahlbau Weißenburg GmbH", "stahlbau-weissenburg.de", "Würzburg", "first.last"),
    ("Fränkische Präzisionsteile GmbH", "fraenkische-praezision.de", "Nürnberg", "first.last"),
    ("Rheinische Kunststoffwerke AG", "rheinische-kunststoff.de", "Köln", "first.last"),
    ("Lüneburger Heide Logistik KG", "heide-logistik.de", "Lüneburg", "f.last"),
    ("Özdemir Textil GmbH", "oezdemir-textil.de", "Berlin", "first.last"),
    ("Käsmann Feinkost e.K.", "kaesmann-feinkost.de", "Augsburg", "first"),
    ("Jäger Elektrotechnik GmbH", "jaeger-elektrotechnik.de", "Stuttgart", "first.last"),
    ("Nordlicht Software GmbH", "nordlicht-software.de", "Kiel", "first"),
    ("Albtal Werkzeugbau GmbH", "albtal-werkzeugbau.de", "Karlsruhe", "f.last"),
    ("Elbufer Versicherungsmakler GmbH", "elbufer-versicherung.de", "Hamburg", "first.last"),
    ("Isar Medizintechnik GmbH", "isar-medtech.de", "München", "first.last"),
    ("Spree Digital GmbH", "spree-digital.de", "Berlin", "first"),
    ("Weingut Körner e.K.", "weingut-koerner.de", "Würzburg", "first.last"),
    ("Druckerei Böhm KG", "druckerei-boehm.de", "Leipzig", "f.last"),
    ("Elbtal Solartechnik AG", "elbtal-solar.de", "Dresden", "first.last"),
    ("Westfälische Möbelwerke GmbH", "westfalen-moebel.de", "Bielefeld", "first.last"),
    ("Münsterländer Agrarhandel KG", "ml-agrar.de", "Münster", "f.last"),
    ("Ruhr Anlagenbau GmbH", "ruhr-anlagenbau.de", "Essen", "first.last"),
    ("Kaiser Stahlhandel GmbH & Co. KG", "kaiser-stahlhandel.de", "Dortmund", "f.last"),
    ("Hannoversche Messebau GmbH", "hm-messebau.de", "Hannover", "first.last"),
    ("Kaffeerösterei Vogt e.K.", "vogt-kaffee.de", "Bremen", "first"),
    ("Saarländische Glaswerke AG", "saar-glas.de", "Saarbrücken", "first.last"),
    ("Thüringer Optik GmbH", "thueringer-optik.de", "Jena", "first.last"),
    ("Gartenbau Seidel KG", "seidel-gartenbau.de", "Erfurt", "last"),
    ("Kurpfalz IT-Service GmbH", "kurpfalz-it.de", "Mannheim", "f.last"),
    ("Breisgau Bio-Lebensmittel GmbH", "breisgau-bio.de", "Freiburg im Breisgau", "first.last"),
    ("Donau Kunststofftechnik GmbH", "donau-kunststoff.de", "Regensburg", "first.last"),
    ("Osnabrücker Papierfabrik AG", "os-papier.de", "Osnabrück", "f.last"),
    ("Göttinger Labortechnik GmbH", "goettinger-labor.de", "Göttingen", "first.last"),
    ("Trave Feinkost GmbH", "trave-feinkost.de", "Lübeck", "first.last"),
    ("Mainova Finanzsoftware AG", "mainova-fs.de", "Frankfurt am Main", "first.last"),
    ("Taunus Consulting GmbH", "taunus-consulting.de", "Frankfurt am Main", "f.last"),
    ("Krämer & Lorenz Kommunikation GmbH", "kraemer-lorenz.de", "Düsseldorf", "first.last"),
    ("Rheinland Pharma Vertrieb GmbH", "rheinland-pharma.de", "Köln", "first.last"),
    ("Allgäuer Molkerei Huber KG", "allgaeuer-molkerei.de", "Kempten (Allgäu)", "f.last"),
    ("Chiemgau Holzbau GmbH", "chiemgau-holzbau.de", "Rosenheim", "first.last"),
    ("Gießerei Straßer GmbH", "giesserei-strasser.de", "Augsburg", "f.last"),
    ("Maßwerk Innenausbau GmbH", "masswerk-innenausbau.de", "Nürnberg", "first"),
    ("Sachsen Fördertechnik AG", "sachsen-foerdertechnik.de", "Dresden", "first.last"),
    ("Hanse Kältetechnik GmbH", "hanse-kaelte.de", "Bremen", "first.last"),
    ("Alpenland Seilbahntechnik GmbH", "alpenland-seilbahn.at", "Innsbruck", "first.last"),
    ("Gruber Gastrotechnik GmbH", "gruber-gastro.at", "Wien", "f.last"),
    ("Steirische Holzwerke KG", "steirische-holzwerke.at", "Graz", "first.last"),
    ("Salzach Energie AG", "salzach-energie.at", "Salzburg", "first.last"),
    ("Zürcher Präzisionsmechanik AG", "zpm.ch", "Zürich", "first.last"),
    ("Basler Chemiehandel AG", "basler-chemiehandel.ch", "Basel", "f.last"),
    ("Aare Software GmbH", "aare-software.ch", "Bern", "first"),
    ("Säntis Maschinenbau AG", "saentis-maschinenbau.ch", "St. Gallen", "first.last"),
    ("Vierwaldstätter Tourismus GmbH", "vws-tourismus.ch", "Luzern", "first.last"),
]

FIRST_NAMES_M = [
    "Jürgen", "Björn", "Jörg", "Sören", "Günter", "Hans-Jürgen", "Jörn",
    "Rüdiger", "Uwe", "Jan", "Lukas", "Tobias", "Matthias", "Stefan",
    "Andreas", "Thomas", "Michael", "Klaus", "Dieter", "Florian", "Sebastian",
    "Christoph", "Marc", "Timo", "Dominik", "René", "André", "Mehmet", "Emre",
    "Cem", "Niklas", "Lars", "Ole", "Malte", "Bernd", "Wolfgang", "Horst",
    "Götz", "Frank", "Hans-Peter", "Maximilian", "Felix", "Jonas", "Kai",
    "Sönke", "Till", "Moritz", "Alexander", "Daniel", "Markus", "Patrick",
]
FIRST_NAMES_F = [
    "Käthe", "Jördis", "Bärbel", "Anja", "Sabine", "Claudia", "Petra",
    "Ursula", "Brigitte", "Jutta", "Karin", "Susanne", "Katrin", "Julia",
    "Laura", "Lena", "Hannah", "Sophie", "Lea", "Anna", "Marie", "Jana",
    "Nina", "Miriam", "Ayşe", "Zoë", "Elif", "Franziska", "Christiane",
    "Annegret", "Heike", "Silke", "Birgit", "Stefanie", "Kerstin", "Maren",
    "Anne-Kathrin", "Désirée", "Johanna", "Charlotte", "Mareike", "Svenja",
]
LAST_NAMES = [
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner",
    "Becker", "Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter",
    "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Zimmermann", "Braun",
    "Krüger", "Hofmann", "Hartmann", "Lange", "Schmitt", "Werner", "Schmitz",
    "Krause", "Meier", "Lehmann", "Köhler", "Herrmann", "König", "Walter",
    "Huber", "Kaiser", "Fuchs", "Peters", "Scholz", "Möller", "Weiß", "Jung",
    "Hahn", "Schubert", "Vogel", "Friedrich", "Keller", "Günther", "Berger",
    "Winkler", "Roth", "Lorenz", "Baumann", "Franke", "Albrecht", "Böhm",
    "Krämer", "Vogt", "Jäger", "Sommer", "Groß", "Seidel", "Brandt", "Haas",
    "Schreiber", "Dietrich", "Ziegler", "Kühn", "Pohl", "Engel", "Bergmann",
    "Voigt", "Sauer", "Pfeiffer", "Özdemir", "Yılmaz", "Öztürk", "Kaya",
    "Nowak", "Kowalski", "Popović", "Gößling", "Straßburger", "Große-Wächter",
    "von der Heide", "Lüdemann", "Thießen", "Dückers", "Kößler", "Grün",
]

# (male, female) titles; English titles are the same for both.
JOB_TITLES = [
    ("Geschäftsführer", "Geschäftsführerin"),
    ("Einkaufsleiter", "Einkaufsleiterin"),
    ("IT-Leiter", "IT-Leiterin"),
    ("Leiter Marketing", "Leiterin Marketing"),
    ("Vertriebsleiter", "Vertriebsleiterin"),
    ("Prokurist", "Prokuristin"),
    ("Sachbearbeiter Einkauf", "Sachbearbeiterin Einkauf"),
    ("Technischer Leiter", "Technische Leiterin"),
    ("Projektleiter", "Projektleiterin"),
    ("Teamleiter Logistik", "Teamleiterin Logistik"),
    ("Werkleiter", "Werkleiterin"),
    ("Personalleiter", "Personalleiterin"),
    ("Kaufmännischer Leiter", "Kaufmännische Leiterin"),
    ("Assistenz der Geschäftsführung", "Assistenz der Geschäftsführung"),
    ("Head of Marketing", "Head of Marketing"),
    ("Head of Sales", "Head of Sales"),
    ("Head of Procurement", "Head of Procurement"),
    ("CFO", "CFO"),
    ("CTO", "CTO"),
    ("Marketing Manager", "Marketing Manager"),
    ("Key Account Manager", "Key Account Manager"),
    ("Office Manager", "Office Manager"),
    ("Online Marketing Manager", "Online Marketing Managerin"),
]
# Alternative spelling of a title as typically found in the other system.
TITLE_ALTERNATIVES = {
    "Einkaufsleiter": "Head of Procurement", "Einkaufsleiterin": "Head of Procurement",
    "Leiter Marketing": "Head of Marketing", "Leiterin Marketing": "Head of Marketing",
    "IT-Leiter": "Head of IT", "IT-Leiterin": "Head of IT",
    "Geschäftsführer": "Managing Director", "Geschäftsführerin": "Managing Director",
    "Vertriebsleiter": "Head of Sales", "Vertriebsleiterin": "Head of Sales",
    "Technischer Leiter": "CTO", "Technische Leiterin": "CTO",
    "Head of Marketing": "Marketingleitung", "Head of Sales": "Vertriebsleitung",
    "Head of Procurement": "Leitung Einkauf", "Marketing Manager": "Referent Marketing",
    "Key Account Manager": "Vertrieb Außendienst", "Projektleiter": "Senior Projektleiter",
    "Projektleiterin": "Senior Projektleiterin", "Office Manager": "Assistenz",
}
# Promotions used for the version 2 of versioned marketing records.
TITLE_PROMOTIONS = {
    "Sachbearbeiter Einkauf": "Einkaufsleiter", "Sachbearbeiterin Einkauf": "Einkaufsleiterin",
    "Marketing Manager": "Head of Marketing", "Online Marketing Manager": "Head of Marketing",
    "Projektleiter": "Technischer Leiter", "Projektleiterin": "Technische Leiterin",
    "Key Account Manager": "Head of Sales", "Prokurist": "Geschäftsführer",
    "Prokuristin": "Geschäftsführerin",
}

FREEMAIL = {"DE": ["gmx.de", "web.de", "t-online.de", "gmail.com", "gmx.net"],
            "AT": ["gmx.at", "gmail.com"], "CH": ["bluewin.ch", "gmx.ch"]}

LIFECYCLE_MARKETING = ["subscriber", "lead", "mql", "sql", "customer", ""]
LIFECYCLE_MARKETING_W = [18, 30, 22, 10, 8, 4]
LIFECYCLE_CRM = ["lead", "sql", "opportunity", "customer", ""]
LIFECYCLE_CRM_W = [15, 25, 25, 30, 5]
STAGE_ORDER = ["subscriber", "lead", "mql", "sql", "opportunity", "customer"]

DEAL_PRODUCTS = [
    "Rahmenvertrag Wartung", "Lizenzerweiterung", "Ersatzteilpaket",
    "Neuanlage Linie 3", "Serviceverlängerung", "Pilotprojekt Predictive Maintenance",
    "Schulungspaket", "Retrofit Steuerung", "Cloud-Migration", "Support Premium",
    "Modernisierung Lager", "Energieaudit", "Rollout Standort 2",
    "Rahmenvertrag Verbrauchsmaterial", "Wartung & Inspektion",
]
DEAL_STAGES = ["prospecting", "qualification", "proposal", "negotiation",
               "closed_won", "closed_lost"]
DEAL_STAGES_W = [12, 18, 22, 16, 20, 12]

CAMPAIGNS = [
    # (name, channel, start_date, budget)
    ("Herbst-Newsletter 2024", "email", "2024-09-16", 2500.00),
    ("SPS Nürnberg 2024", "event", "2024-11-12", 48000.00),
    ("Weihnachts-Mailing 2024", "email", "2024-12-02", 3800.00),
    ("Fallstudie: Logistik, Lager & Versand", "content", "2024-10-07", 6500.00),
    ("Frühjahrs-Newsletter 2025", "email", "2025-02-01", 2500.00),
    ("Webinar: Digitalisierung im Mittelstand", "webinar", "2025-02-19", 4200.00),
    ("Webinar: E-Rechnung 2025 – Was ändert sich?", "webinar", "2025-01-22", 3900.00),
    ("Google Ads – Wartungsverträge Q1", "paid_search", "2025-01-06", 12500.00),
    ("Messe Hannover 2025", "event", "2025-03-31", 85000.00),
    ("LinkedIn-Kampagne „Industrie 4.0“", "social", "2025-03-03", 9800.00),
    ("Whitepaper: Predictive Maintenance", "content", "2025-03-17", 7250.00),
    ("Google Ads – Wartungsverträge Q2", "paid_search", "2025-04-01", 14000.00),
    ("Roadshow Österreich & Schweiz 2025", "event", "2025-05-12", 36500.00),
    ("Webinar: Energieeffizienz in der Produktion", "webinar", "2025-05-21", 4500.00),
    ("Sommer-Newsletter 2025", "email", "2025-06-02", 2750.00),
    ("Xing & LinkedIn Retargeting", "social", "2025-06-16", 6200.00),
    ("Kundentag München 2025", "event", "2025-07-10", 22000.00),
    ("Bing Ads – Ersatzteile DACH", "paid_search", "2025-08-04", 5400.00),
    ("E-Book: Nachhaltigkeit im B2B-Vertrieb", "content", "2025-09-01", 8900.00),
    ("Webinar: KI im Vertrieb, Service & Support", "webinar", "2025-09-24", 4800.00),
    ("Instagram Employer Branding", "social", "2025-10-06", 3500.00),
]

rng = random.Random(SEED)


# --------------------------------------------------------------------------
# helpers

def translit(text):
    """ASCII form of a name part for e-mail addresses (ü->ue, ß->ss ...)."""
    s = text.lower()
    for a, b in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"), ("ı", "i")):
        s = s.replace(a, b)
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    return "".join(c for c in s if c.isascii() and (c.isalnum() or c in ".-"))


def ts(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def random_ts(start=TS_START, end=TS_END):
    day = start + timedelta(days=rng.randrange((end - start).days + 1))
    hour = rng.choices(range(6, 21), weights=[1, 3, 6, 8, 8, 7, 5, 6, 7, 7, 6, 4, 3, 2, 1])[0]
    return day.replace(hour=hour, minute=rng.randrange(60), second=rng.randrange(60))


def later(dt, min_days, max_days):
    out = dt + timedelta(days=rng.randint(min_days, max_days),
                         minutes=rng.randint(-300, 300))
    if out > TS_END or out < TS_START:  # keep inside the window without piling up at its edges
        lo = max(min(dt, TS_END), TS_START)
        out = lo + timedelta(seconds=rng.randint(0, int((TS_END - lo).total_seconds())))
    return out


def between(a, b):
    a, b = (datetime.strptime(x, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
            for x in (a, b))
    return a + timedelta(seconds=rng.randint(0, int((b - a).total_seconds())))


def landline(city):
    country, area = CITIES[city]
    if country == "CH":
        return f"+41 {area} {rng.randint(200, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
    if country == "AT":
        n = 9 - len(area) + rng.choice((0, 1))
        num = str(rng.randint(2, 9)) + "".join(str(rng.randrange(10)) for _ in range(n - 1))
        return f"+43 {area} {num}"
    n = 9 - len(area) + rng.choice((0, 1))
    num = str(rng.randint(2, 9)) + "".join(str(rng.randrange(10)) for _ in range(n - 1))
    if rng.random() < 0.3:  # switchboard number with direct-dial extension
        num = num[:-1] + "-" + str(rng.randint(10, 399))
    return f"+49 {area} {num}"


def mobile(country):
    if country == "CH":
        return f"+41 {rng.choice(('76', '78', '79'))} {rng.randint(200, 999)} {rng.randint(10, 99)} {rng.randint(10, 99)}"
    if country == "AT":
        return f"+43 {rng.choice(('650', '660', '664', '676', '699'))} {rng.randint(1000000, 9999999)}"
    prefix = rng.choice(("151", "152", "157", "160", "162", "170", "171", "172",
                         "173", "175", "176", "177", "178", "179"))
    return f"+49 {prefix} {rng.randint(1000000, 99999999)}"


def local_part(first, last, pattern):
    f, l = translit(first), translit(last.replace(" ", ""))
    if pattern == "first.last":
        return f"{f}.{l}"
    if pattern == "f.last":
        return f"{f[0]}.{l}"
    if pattern == "first":
        return f
    return l  # "last"


def email_variant(email, kind):
    """Same address, written differently (case and/or surrounding spaces)."""
    if kind in ("case", "case+spaces"):
        local, domain = email.split("@")
        cap = lambda s: ".".join("-".join(p[:1].upper() + p[1:] for p in part.split("-"))
                                 for part in s.split("."))
        email = f"{cap(local)}@{cap(domain) if rng.random() < 0.4 else domain}"
    elif kind == "upper":
        email = email.upper()
    if kind in ("spaces", "case+spaces"):
        email = rng.choice((" {} ", " {}", "{} ", "  {} ")).format(email)
    return email


def fmt_field(value):
    value = str(value)
    if (any(c in value for c in ',"\r\n') or value != value.strip()):
        return '"' + value.replace('"', '""') + '"'
    return value


def write_csv(name, header, rows):
    lines = [",".join(fmt_field(v) for v in row) for row in [header] + rows]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    (OUT_DIR / name).write_bytes(data)
    return len(rows)


def id_pool(fmt, lo, hi, n, reserved):
    pool = [i for i in range(lo, hi) if fmt(i) not in reserved]
    return [fmt(i) for i in rng.sample(pool, n)]


# --------------------------------------------------------------------------
# people

used_emails = {}   # canonical e-mail -> True (membership only, never iterated)
used_names = {}


def new_person(company=None, freemail=False):
    while True:
        female = rng.random() < 0.42
        first = rng.choice(FIRST_NAMES_F if female else FIRST_NAMES_M)
        last = rng.choice(LAST_NAMES)
        if (first, last) in used_names:
            continue
        if freemail:
            country = rng.choices(("DE", "AT", "CH"), weights=(85, 8, 7))[0]
            city = rng.choice([c for c in CITIES if CITIES[c][0] == country])
            pat = rng.choice(("first.last", "first.last{n}", "f.last{n}", "firstlast"))
            f, l = translit(first), translit(last.replace(" ", ""))
            local = {"first.last": f"{f}.{l}", "first.last{n}": f"{f}.{l}{rng.randint(60, 99)}",
                     "f.last{n}": f"{f[0]}.{l}{rng.randint(1, 99)}",
                     "firstlast": f"{f}{l}"}[pat]
            email = f"{local}@{rng.choice(FREEMAIL[country])}"
        else:
            cname, domain, city, pattern = company
            country = CITIES[city][0]
            email = f"{local_part(first, last, pattern)}@{domain}"
        if email in used_emails:
            continue
        used_emails[email] = True
        used_names[(first, last)] = True
        title = rng.choice(JOB_TITLES)[1 if female else 0]
        if freemail:
            return dict(first=first, last=last, email=email, city=city, country=country,
                        company=rng.choice(["", "", company[0] if company else ""]),
                        title=rng.choice(["", "", title]),
                        phone=rng.choice(["", "", mobile(country)]), freemail=True)
        return dict(first=first, last=last, email=email, city=city, country=country,
                    company=cname, title=title, phone=landline(city), freemail=False)


def contact_row(p, source, rid, version, when, email=None, title=None, phone=None,
                stage=None):
    return [source, rid, str(version), when if isinstance(when, str) else ts(when),
            p["email"] if email is None else email, p["first"], p["last"], p["company"],
            p["title"] if title is None else title, p["phone"] if phone is None else phone,
            p["city"], p["country"], stage if stage is not None else ""]


def small_version():
    return rng.choices(range(1, 9), weights=[30, 25, 16, 10, 7, 5, 4, 3])[0]


reserved = {BAD_INVALID_EMAIL_ID, BAD_DATE_ID, BAD_COLUMNS_ID}
n_marketing_ids = N_BOTH + N_MARKETING_ONLY
n_crm_ids = N_BOTH + N_CRM_ONLY
marketing_ids = id_pool(lambda i: f"M-{i}", 10001, 10999, n_marketing_ids, reserved)
crm_ids = id_pool(lambda i: f"003A{i:07d}", 11, 9999, n_crm_ids, reserved)

# Company staff sizes; a handful of people use freemail addresses.
n_people = N_BOTH + N_MARKETING_ONLY + N_CRM_ONLY
n_freemail = 22
people = []
companies = list(COMPANIES)
while len(people) < n_people - n_freemail:
    for company in companies:
        if len(people) >= n_people - n_freemail:
            break
        for _ in range(rng.choice((1, 1, 2))):
            if len(people) < n_people - n_freemail:
                people.append(new_person(company))
for _ in range(n_freemail):
    people.append(new_person(rng.choice(COMPANIES), freemail=True))
rng.shuffle(people)

company_people = [p for p in people if not p["freemail"]]
freemail_people = [p for p in people if p["freemail"]]
both = company_people[:N_BOTH]
crm_only = company_people[N_BOTH:N_BOTH + N_CRM_ONLY - 2] + freemail_people[:2]
marketing_only = company_people[N_BOTH + N_CRM_ONLY - 2:] + freemail_people[2:]
assert len(marketing_only) == N_MARKETING_ONLY and len(crm_only) == N_CRM_ONLY

contacts = []          # (sort key, row)
crm_email_of = []      # (person, e-mail spelling in the CRM) for deals
mi = iter(marketing_ids)
ci = iter(crm_ids)

variant_kinds = (["case"] * 14 + ["spaces"] * 12 + ["case+spaces"] * 10 + ["upper"] * 4)
rng.shuffle(variant_kinds)
for p, kind in zip(both, variant_kinds):
    m_when = random_ts(end=TS_END - timedelta(days=60))
    c_when = later(m_when, -40, 200)
    m_stage = rng.choice(["lead", "mql", "mql", "sql", "sql"])
    c_stage = rng.choice(["sql", "opportunity", "opportunity", "customer", "customer"])
    variant = email_variant(p["email"], kind)
    if rng.random() < 0.6:
        m_email, c_email = p["email"], variant
    else:
        m_email, c_email = variant, p["email"]
    r = rng.random()
    c_title = TITLE_ALTERNATIVES.get(p["title"], "") if r < 0.3 else None
    c_phone = (mobile(p["country"]) if r > 0.65 else landline(p["city"])) if r > 0.45 else None
    m_phone = "" if rng.random() < 0.35 else None
    contacts.append(contact_row(p, "marketing", next(mi), small_version(), m_when,
                                email=m_email, phone=m_phone, stage=m_stage))
    contacts.append(contact_row(p, "crm", next(ci), small_version(), c_when,
                                email=c_email, title=c_title, phone=c_phone, stage=c_stage))
    crm_email_of.append((p, c_email))

for n, p in enumerate(marketing_only):
    rid = next(mi)
    stage = rng.choices(LIFECYCLE_MARKETING, LIFECYCLE_MARKETING_W)[0]
    phone = "" if rng.random() < 0.3 else None
    if p["freemail"]:
        stage = rng.choice(["subscriber", "subscriber", "lead"])
    if n < N_MARKETING_VERSIONED:
        # version 1 and a later version 2 with a changed lifecycle stage or title
        stage = rng.choice(["subscriber", "lead", "lead", "mql"])
        w1 = random_ts(end=TS_END - timedelta(days=130))
        w2 = later(w1, 3, 120)
        title2, stage2 = None, stage
        if p["title"] in TITLE_PROMOTIONS and n % 2 == 0:
            title2 = TITLE_PROMOTIONS[p["title"]]
        else:
            stage2 = STAGE_ORDER[STAGE_ORDER.index(stage) + rng.choice((1, 1, 2))]
        contacts.append(contact_row(p, "marketing", rid, 1, w1, phone=phone, stage=stage))
        contacts.append(contact_row(p, "marketing", rid, 2, w2, phone=phone, title=title2,
                                    stage=stage2))
    else:
        contacts.append(contact_row(p, "marketing", rid, small_version(), random_ts(),
                                    phone=phone, stage=stage))

for p in crm_only:
    stage = rng.choices(LIFECYCLE_CRM, LIFECYCLE_CRM_W)[0]
    phone = "" if rng.random() < 0.05 else (mobile(p["country"]) if rng.random() < 0.15 else None)
    contacts.append(contact_row(p, "crm", next(ci), small_version(), random_ts(),
                                phone=phone, stage=stage))
    crm_email_of.append((p, p["email"]))

# Export order: by modification time (an event stream of both systems).
contacts.sort(key=lambda r: (r[3], r[0], r[1], int(r[2])))

# The three deliberately bad rows, inserted in the middle of the file.
bad_company = next(c for c in COMPANIES if c[0] == "Jäger Elektrotechnik GmbH")
bad1 = new_person(bad_company)
bad2 = new_person(next(c for c in COMPANIES if c[0] == "Müller, Schmidt & Partner GmbH"))
bad3 = new_person(next(c for c in COMPANIES if c[0] == "Fränkische Präzisionsteile GmbH"))
mid = len(contacts) // 2
offsets = (-6, 1, 7)
near = [between(contacts[mid + o - 1][3], contacts[mid + o][3]) for o in offsets]
bad_rows = [
    contact_row(bad1, "marketing", BAD_INVALID_EMAIL_ID, 1, near[0],
                email="kein-at-zeichen.de", stage="lead"),
    contact_row(bad2, "crm", BAD_DATE_ID, 3, "31.02.2025 25:00", stage="sql"),
    contact_row(bad3, "marketing", BAD_COLUMNS_ID, 2, near[2],
                stage="mql")[:10],   # city, country, lifecycle_stage missing
]
for offset, row in reversed(list(zip(offsets, bad_rows))):  # back to front: indices stay valid
    contacts.insert(mid + offset, row)

# --------------------------------------------------------------------------
# campaigns

campaign_rows = []
year_counter = {}
for name, channel, start, budget in sorted(CAMPAIGNS, key=lambda c: c[2]):
    year = start[:4]
    year_counter[year] = year_counter.get(year, 0) + 1
    cid = f"C-{year}-{year_counter[year]:03d}"
    start_dt = datetime.fromisoformat(start).replace(tzinfo=timezone.utc)
    created = start_dt - timedelta(days=rng.randint(14, 45))
    version = rng.choices((1, 2, 3, 4), weights=(35, 30, 20, 15))[0]
    updated = later(created, 0, 20 + 10 * version) if version > 1 else created
    updated = updated.replace(hour=rng.randint(8, 17), minute=rng.randrange(60),
                              second=rng.randrange(60))
    campaign_rows.append(["marketing", cid, str(version), ts(updated), name, channel,
                          start, f"{budget:.2f}"])

# --------------------------------------------------------------------------
# deals

deal_ids = id_pool(lambda i: f"006B{i:09d}", 100, 2500, N_DEALS, set())
LEGAL_FORMS = (" Steuerberatungsgesellschaft mbH", " GmbH & Co. KG", " GmbH", " AG",
               " KG", " e.K.")


def short_company(name):
    for form in LEGAL_FORMS:
        if name.endswith(form):
            return name[: -len(form)]
    return name


deal_candidates = [(p, e) for p, e in crm_email_of if p["company"]]
deal_rows = []
update_slots = sorted(rng.sample(range(N_DEALS), N_DEAL_UPDATES))
for n, did in enumerate(deal_ids):
    p, email = rng.choice(deal_candidates)
    when = random_ts(start=datetime(2024, 3, 1, tzinfo=timezone.utc),
                     end=TS_END - timedelta(days=40))
    year = when.year if when.month < 10 else when.year + 1
    name = f"{rng.choice(DEAL_PRODUCTS)} {year} – {short_company(p['company'])}"
    currency = "CHF" if p["country"] == "CH" else "EUR"
    amount = rng.choices((rng.randint(5, 120) * 250, rng.randint(25, 480) * 500,
                          rng.randint(250000, 4800000) / 100,
                          rng.randint(100, 450) * 1000), weights=(40, 30, 20, 10))[0]
    version = small_version()
    if n in update_slots:
        stage = rng.choice(DEAL_STAGES[:4])
        deal_rows.append(["crm", did, str(version), ts(when), email, name, stage,
                          f"{amount:.2f}", currency])
        i = DEAL_STAGES.index(stage)
        next_stage = (rng.choice(("closed_won", "closed_lost")) if i == 3
                      else DEAL_STAGES[i + rng.choice((1, 1, 2))])
        if rng.random() < 0.3:
            amount = round(amount * rng.choice((0.9, 0.95, 1.1, 1.2)), 2)
        deal_rows.append(["crm", did, str(version + rng.choice((1, 1, 2))),
                          ts(later(when, 5, 60)), email, name, next_stage,
                          f"{amount:.2f}", currency])
    else:
        stage = rng.choices(DEAL_STAGES, DEAL_STAGES_W)[0]
        deal_rows.append(["crm", did, str(version), ts(when), email, name, stage,
                          f"{amount:.2f}", currency])
deal_rows.sort(key=lambda r: (r[3], r[1], int(r[2])))

# --------------------------------------------------------------------------
# engagement, orders and lead decisions: drawn from a random source of their
# own, so that adding them left the files above byte-identical.

rng2 = random.Random(SEED + 1)
ENGAGEMENT_COLUMNS = ["source_system", "record_id", "occurred_at", "email", "campaign_id",
                      "kind", "detail"]
ORDER_COLUMNS = ["source_system", "order_id", "ordered_at", "email", "amount", "currency"]
DECISION_COLUMNS = ["source_system", "record_id", "decided_at", "email", "accepted",
                    "reason_code", "reason_text"]

marketing_people = both + marketing_only
engagement_rows = []
for row in campaign_rows:
    cid, channel, start = row[1], row[5], row[6]
    start_dt = datetime.fromisoformat(start).replace(tzinfo=timezone.utc, hour=9)
    for p in rng2.sample(marketing_people, rng2.randint(25, 45)):
        sent = start_dt + timedelta(minutes=rng2.randrange(600))
        steps = [("sent", sent, "")]
        if rng2.random() < 0.04:
            steps.append(("bounced", sent + timedelta(minutes=2), ""))
        elif rng2.random() < 0.55:
            opened = sent + timedelta(hours=rng2.randint(1, 72))
            steps.append(("opened", opened, ""))
            if rng2.random() < 0.4:
                steps.append(("clicked", opened + timedelta(minutes=rng2.randint(1, 30)),
                              "https://www.beispiel-anbieter.de/" + cid.lower()))
                if rng2.random() < 0.35:
                    kind = "webinar_attended" if channel == "webinar" else "form_submitted"
                    steps.append((kind, opened + timedelta(days=rng2.randint(0, 10)), ""))
            if rng2.random() < 0.05:
                steps.append(("unsubscribed", opened + timedelta(minutes=5), ""))
        for kind, when, detail in steps:
            if when < TS_END:
                engagement_rows.append(["marketing", "", ts(when), p["email"], cid, kind,
                                        detail])
# Deals of people marketing knows often follow a campaign: a click or a form
# in the weeks before the deal (its own random source, so that the orders
# and decisions below stay as they were).
rng3 = random.Random(SEED + 2)
marketing_emails = {p["email"] for p in marketing_people}
person_of_crm_email = {email: p for p, email in crm_email_of}
campaign_starts = [(row[1], row[5], datetime.fromisoformat(row[6]).replace(tzinfo=timezone.utc))
                   for row in campaign_rows]
first_seen = {}
for row in deal_rows:
    first_seen.setdefault(row[1], row)
for did, row in sorted(first_seen.items()):
    p = person_of_crm_email.get(row[4])
    if p is None or p["email"] not in marketing_emails or rng3.random() < 0.2:
        continue
    created = datetime.fromisoformat(row[3].replace("Z", "+00:00"))
    recent = [c for c in campaign_starts if timedelta(days=5) <= created - c[2] <= timedelta(days=80)]
    for cid, channel, start in rng3.sample(recent, min(len(recent), rng3.choice((1, 1, 2)))):
        when = start + timedelta(days=rng3.randint(0, 3), hours=rng3.randint(8, 17),
                                 minutes=rng3.randrange(60))
        kind = rng3.choice(("clicked", "form_submitted", "webinar_attended" if channel == "webinar"
                            else "clicked"))
        engagement_rows.append(["marketing", "", ts(when), p["email"], cid, kind, ""])
engagement_rows.sort(key=lambda r: (r[2], r[3], r[4], r[5]))
for n, row in enumerate(engagement_rows, start=1):
    row[1] = f"E-{n:05d}"

order_rows = []
for p, email in rng2.sample(crm_email_of, 45):
    when = random_ts(end=datetime(2024, 12, 31, tzinfo=timezone.utc))
    interval = rng2.randint(20, 90)
    # Some customers stop ordering: they are the ones to win back.
    count = rng2.randint(2, 4) if rng2.random() < 0.35 else rng2.randint(4, 12)
    currency = "CHF" if p["country"] == "CH" else "EUR"
    for _ in range(count):
        if when >= TS_END:
            break
        order_rows.append(["shop", "", ts(when), email,
                           f"{rng2.randint(40, 2400) * 5 / 2:.2f}", currency])
        when = when + timedelta(days=round(interval * rng2.uniform(0.7, 1.3)),
                                hours=rng2.randint(-6, 6))
order_rows.sort(key=lambda r: (r[2], r[3]))
for n, row in enumerate(order_rows, start=1):
    row[1] = f"B-{n:05d}"

REJECTIONS = [("no_budget", "Kein Budget vor dem nächsten Geschäftsjahr"),
              ("bad_timing", "Projekt verschoben"),
              ("not_a_fit", "Passt nicht zu unserem Angebot"),
              ("no_authority", "Kein Entscheider")]
decision_rows = []
for p in rng2.sample(marketing_people, 24):
    when = random_ts(start=datetime(2025, 1, 6, tzinfo=timezone.utc))
    if rng2.random() < 0.55:
        decision_rows.append(["crm", "", ts(when), p["email"], "yes", "", ""])
    else:
        code, text = rng2.choice(REJECTIONS)
        decision_rows.append(["crm", "", ts(when), p["email"], "no", code, text])
decision_rows.sort(key=lambda r: (r[2], r[3]))
for n, row in enumerate(decision_rows, start=1):
    row[1] = f"LD-{n:04d}"

# --------------------------------------------------------------------------

if __name__ == "__main__":
    counts = {
        "contacts.csv": write_csv("contacts.csv", CONTACT_COLUMNS, contacts),
        "campaigns.csv": write_csv("campaigns.csv", CAMPAIGN_COLUMNS, campaign_rows),
        "deals.csv": write_csv("deals.csv", DEAL_COLUMNS, deal_rows),
        "engagement.csv": write_csv("engagement.csv", ENGAGEMENT_COLUMNS, engagement_rows),
        "orders.csv": write_csv("orders.csv", ORDER_COLUMNS, order_rows),
        "lead_decisions.csv": write_csv("lead_decisions.csv", DECISION_COLUMNS, decision_rows),
    }
    for name, count in counts.items():
        print(f"{name}: {count} rows")
