"""The country a phone number is from, by its calling code (a WhatsApp id is the number).

A table, not a numbering plan: enough to offer a person the timezones of the country
their number is from. It covers the pilot's seven countries, their neighbours and the
countries with the most teachers the organisation reaches; a number from elsewhere gives
no country, and the person types their timezone.
"""

from __future__ import annotations

#: Calling code → ISO country code. Codes shared by several countries (1, 7) are left
#: out: they would name the wrong one as often as the right one.
CALLING_CODES: dict[str, str] = {
    # the pilot: Brazil, Côte d'Ivoire, Ghana, Malaysia, South Korea, Switzerland, Uruguay
    "55": "BR",
    "225": "CI",
    "233": "GH",
    "60": "MY",
    "82": "KR",
    "41": "CH",
    "598": "UY",
    # Africa
    "20": "EG",
    "27": "ZA",
    "212": "MA",
    "213": "DZ",
    "216": "TN",
    "221": "SN",
    "223": "ML",
    "226": "BF",
    "227": "NE",
    "228": "TG",
    "229": "BJ",
    "234": "NG",
    "237": "CM",
    "243": "CD",
    "250": "RW",
    "251": "ET",
    "254": "KE",
    "255": "TZ",
    "256": "UG",
    "260": "ZM",
    "263": "ZW",
    # the Americas
    "52": "MX",
    "54": "AR",
    "56": "CL",
    "57": "CO",
    "51": "PE",
    "58": "VE",
    "591": "BO",
    "595": "PY",
    # Asia and the Pacific
    "61": "AU",
    "62": "ID",
    "63": "PH",
    "64": "NZ",
    "65": "SG",
    "66": "TH",
    "81": "JP",
    "84": "VN",
    "86": "CN",
    "91": "IN",
    "92": "PK",
    "880": "BD",
    # Europe
    "30": "GR",
    "31": "NL",
    "32": "BE",
    "33": "FR",
    "34": "ES",
    "39": "IT",
    "43": "AT",
    "44": "GB",
    "45": "DK",
    "46": "SE",
    "47": "NO",
    "48": "PL",
    "49": "DE",
    "351": "PT",
    "353": "IE",
}


def country_of_number(number: str) -> str | None:
    """The ISO country of an international number ("+233 24…", "23324…"), if known."""
    digits = "".join(c for c in number if c.isdigit())
    for length in (3, 2):  # calling codes are prefix-free: the longest match is the one
        country = CALLING_CODES.get(digits[:length])
        if country is not None:
            return country
    return None
