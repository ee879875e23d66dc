"""Countries by the numeric code eStreamer carries: ISO 3166-1 alpha-3 and continent.

Connection, intrusion, file and malware records name a country by its ISO 3166-1
numeric code (``initiatorCountry``/``sourceCountry`` ...; 840 = United States);
record 520 gives only its name. Security Cloud's events also show the alpha-3
code in lower case and the continent (``"InitiatorCountryCode":"usa"``,
``"InitiatorContinent":"North America"``, ``"InitiatorContinentCode":"na"``), which
this table gives for every code the FMC can send.

Facts, not code: the codes and alpha-3 names of ISO 3166-1 (all 249 countries and
territories), and continents by the UN M49 geographic regions, with the Americas
split as seven-continent maps do (Northern America, Central America and the
Caribbean are North America). Territories follow their M49 region (French Southern
Territories and British Indian Ocean Territory: Africa; Bouvet Island and South
Georgia: South America; Heard and McDonald Islands, US Minor Outlying Islands:
Oceania); Antarctica (010) is its own continent. A code outside ISO 3166-1 (0 =
unknown, private addresses) has no entry.
"""

from __future__ import annotations

#: continent code (lower case, as Security Cloud writes it) -> continent name
CONTINENTS: dict[str, str] = {
    "af": "Africa", "an": "Antarctica", "as": "Asia", "eu": "Europe",
    "na": "North America", "oc": "Oceania", "sa": "South America",
}

_ALPHA3_BY_CONTINENT: dict[str, dict[int, str]] = {
    "af": {  # Africa
        12: "dza", 24: "ago", 72: "bwa", 86: "iot", 108: "bdi", 120: "cmr", 132: "cpv",
        140: "caf", 148: "tcd", 174: "com", 175: "myt", 178: "cog", 180: "cod",
        204: "ben", 226: "gnq", 231: "eth", 232: "eri", 260: "atf", 262: "dji",
        266: "gab", 270: "gmb", 288: "gha", 324: "gin", 384: "civ", 404: "ken",
        426: "lso", 430: "lbr", 434: "lby", 450: "mdg", 454: "mwi", 466: "mli",
        478: "mrt", 480: "mus", 504: "mar", 508: "moz", 516: "nam", 562: "ner",
        566: "nga", 624: "gnb", 638: "reu", 646: "rwa", 654: "shn", 678: "stp",
        686: "sen", 690: "syc", 694: "sle", 706: "som", 710: "zaf", 716: "zwe",
        728: "ssd", 729: "sdn", 732: "esh", 748: "swz", 768: "tgo", 788: "tun",
        800: "uga", 818: "egy", 834: "tza", 854: "bfa", 894: "zmb",
    },
    "an": {  # Antarctica
        10: "ata",
    },
    "as": {  # Asia
        4: "afg", 31: "aze", 48: "bhr", 50: "bgd", 51: "arm", 64: "btn", 96: "brn",
        104: "mmr", 116: "khm", 144: "lka", 156: "chn", 158: "twn", 196: "cyp",
        268: "geo", 275: "pse", 344: "hkg", 356: "ind", 360: "idn", 364: "irn",
        368: "irq", 376: "isr", 392: "jpn", 398: "kaz", 400: "jor", 408: "prk",
        410: "kor", 414: "kwt", 417: "kgz", 418: "lao", 422: "lbn", 446: "mac",
        458: "mys", 462: "mdv", 496: "mng", 512: "omn", 524: "npl", 586: "pak",
        608: "phl", 626: "tls", 634: "qat", 682: "sau", 702: "sgp", 704: "vnm",
        760: "syr", 762: "tjk", 764: "tha", 784: "are", 792: "tur", 795: "tkm",
        860: "uzb", 887: "yem",
    },
    "eu": {  # Europe
        8: "alb", 20: "and", 40: "aut", 56: "bel", 70: "bih", 100: "bgr", 112: "blr",
        191: "hrv", 203: "cze", 208: "dnk", 233: "est", 234: "fro", 246: "fin",
        248: "ala", 250: "fra", 276: "deu", 292: "gib", 300: "grc", 336: "vat",
        348: "hun", 352: "isl", 372: "irl", 380: "ita", 428: "lva", 438: "lie",
        440: "ltu", 442: "lux", 470: "mlt", 492: "mco", 498: "mda", 499: "mne",
        528: "nld", 578: "nor", 616: "pol", 620: "prt", 642: "rou", 643: "rus",
        674: "smr", 688: "srb", 703: "svk", 705: "svn", 724: "esp", 744: "sjm",
        752: "swe", 756: "che", 804: "ukr", 807: "mkd", 826: "gbr", 831: "ggy",
        832: "jey", 833: "imn",
    },
    "na": {  # North America
        28: "atg", 44: "bhs", 52: "brb", 60: "bmu", 84: "blz", 92: "vgb", 124: "can",
        136: "cym", 188: "cri", 192: "cub", 212: "dma", 214: "dom", 222: "slv",
        304: "grl", 308: "grd", 312: "glp", 320: "gtm", 332: "hti", 340: "hnd",
        388: "jam", 474: "mtq", 484: "mex", 500: "msr", 531: "cuw", 533: "abw",
        534: "sxm", 535: "bes", 558: "nic", 591: "pan", 630: "pri", 652: "blm",
        659: "kna", 660: "aia", 662: "lca", 663: "maf", 666: "spm", 670: "vct",
        780: "tto", 796: "tca", 840: "usa", 850: "vir",
    },
    "oc": {  # Oceania
        16: "asm", 36: "aus", 90: "slb", 162: "cxr", 166: "cck", 184: "cok", 242: "fji",
        258: "pyf", 296: "kir", 316: "gum", 334: "hmd", 520: "nru", 540: "ncl",
        548: "vut", 554: "nzl", 570: "niu", 574: "nfk", 580: "mnp", 581: "umi",
        583: "fsm", 584: "mhl", 585: "plw", 598: "png", 612: "pcn", 772: "tkl",
        776: "ton", 798: "tuv", 876: "wlf", 882: "wsm",
    },
    "sa": {  # South America
        32: "arg", 68: "bol", 74: "bvt", 76: "bra", 152: "chl", 170: "col", 218: "ecu",
        238: "flk", 239: "sgs", 254: "guf", 328: "guy", 600: "pry", 604: "per",
        740: "sur", 858: "ury", 862: "ven",
    },
}

#: ISO 3166-1 numeric code -> (alpha-3 in lower case, continent code)
COUNTRIES: dict[int, tuple[str, str]] = {
    number: (alpha3, continent)
    for continent, table in _ALPHA3_BY_CONTINENT.items()
    for number, alpha3 in table.items()
}
