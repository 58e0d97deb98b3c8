"""Reference data for synthetic addresses and phone numbers: states, localities, streets."""

from __future__ import annotations

# ---------------------------------------------------------------------------------------
# Addresses
# ---------------------------------------------------------------------------------------

# Share of population by state or territory (approximate).
STATE_SHARES: dict[str, float] = {
    "NSW": 0.312,
    "VIC": 0.260,
    "QLD": 0.205,
    "WA": 0.108,
    "SA": 0.069,
    "TAS": 0.021,
    "ACT": 0.018,
    "NT": 0.009,
}

# Real suburb / town names, per state, with a plausible postcode: "Locality_Name:postcode".
LOCALITIES: dict[str, str] = {
    "NSW": """
Sydney:2000 Parramatta:2150 Blacktown:2148 Penrith:2750 Liverpool:2170 Campbelltown:2560
Bankstown:2200 Chatswood:2067 Hornsby:2077 Manly:2095 Bondi:2026 Bondi_Junction:2022
Randwick:2031 Newtown:2042 Marrickville:2204 Strathfield:2135 Burwood:2134 Hurstville:2220
Cronulla:2230 Sutherland:2232 Castle_Hill:2154 Ryde:2112 Epping:2121 Auburn:2144
Fairfield:2165 Cabramatta:2166 Mount_Druitt:2770 Dee_Why:2099 Mosman:2088 Surry_Hills:2010
Paddington:2021 Kogarah:2217 Rockdale:2216 Wollongong:2500 Newcastle:2300 Maitland:2320
Gosford:2250 Wyong:2259 Albury:2640 Wagga_Wagga:2650 Dubbo:2830 Orange:2800 Bathurst:2795
Tamworth:2340 Armidale:2350 Coffs_Harbour:2450 Port_Macquarie:2444 Lismore:2480
Byron_Bay:2481 Queanbeyan:2620 Goulburn:2580 Katoomba:2780 Nowra:2541 Tweed_Heads:2485
Broken_Hill:2880 Cessnock:2325 Kiama:2533 Merrylands:2160 Granville:2142 Lakemba:2195
Eastwood:2122 Rouse_Hill:2155 Kellyville:2155
""",
    "VIC": """
Melbourne:3000 Carlton:3053 Fitzroy:3065 Richmond:3121 St_Kilda:3182 South_Yarra:3141
Brunswick:3056 Coburg:3058 Preston:3072 Reservoir:3073 Footscray:3011 Sunshine:3020
Werribee:3030 Point_Cook:3030 Hoppers_Crossing:3029 Box_Hill:3128 Doncaster:3108
Glen_Waverley:3150 Clayton:3168 Dandenong:3175 Frankston:3199 Cranbourne:3977
Narre_Warren:3805 Berwick:3806 Ringwood:3134 Croydon:3136 Hawthorn:3122 Camberwell:3124
Kew:3101 Essendon:3040 Broadmeadows:3047 Craigieburn:3064 Epping:3076 Mill_Park:3082
Bundoora:3083 Heidelberg:3084 Moonee_Ponds:3039 Northcote:3070 Thornbury:3071 Brighton:3186
Caulfield:3162 Oakleigh:3166 Springvale:3171 Mentone:3194 Geelong:3220 Ballarat:3350
Bendigo:3550 Shepparton:3630 Mildura:3500 Warrnambool:3280 Traralgon:3844 Wodonga:3690
Sale:3850 Horsham:3400
""",
    "QLD": """
Brisbane_City:4000 Fortitude_Valley:4006 South_Brisbane:4101 West_End:4101 Toowong:4066
Indooroopilly:4068 Chermside:4032 Carindale:4152 Sunnybank:4109 Mount_Gravatt:4122
Logan_Central:4114 Springwood:4127 Ipswich:4305 Redcliffe:4020 Caboolture:4510
North_Lakes:4509 Strathpine:4500 Cleveland:4163 Capalaba:4157 Southport:4215
Surfers_Paradise:4217 Robina:4226 Coolangatta:4225 Maroochydore:4558 Caloundra:4551
Noosa_Heads:4567 Toowoomba:4350 Rockhampton:4700 Mackay:4740 Townsville:4810 Cairns:4870
Bundaberg:4670 Hervey_Bay:4655 Gladstone:4680 Mount_Isa:4825 Warwick:4370 Gympie:4570
""",
    "WA": """
Perth:6000 Northbridge:6003 Fremantle:6160 Subiaco:6008 Joondalup:6027 Scarborough:6019
Morley:6062 Midland:6056 Armadale:6112 Rockingham:6168 Mandurah:6210 Cannington:6107
Victoria_Park:6100 Baldivis:6171 Ellenbrook:6069 Bunbury:6230 Geraldton:6530
Kalgoorlie:6430 Albany:6330 Broome:6725 Busselton:6280
""",
    "SA": """
Adelaide:5000 North_Adelaide:5006 Glenelg:5045 Norwood:5067 Prospect:5082 Salisbury:5108
Elizabeth:5112 Modbury:5092 Marion:5043 Port_Adelaide:5015 Mawson_Lakes:5095
Morphett_Vale:5162 Mount_Barker:5251 Mount_Gambier:5290 Whyalla:5600 Port_Augusta:5700
Murray_Bridge:5253
""",
    "TAS": """
Hobart:7000 Sandy_Bay:7005 Glenorchy:7010 Kingston:7050 Launceston:7250 Devonport:7310
Burnie:7320
""",
    "ACT": """
Canberra:2601 Belconnen:2617 Bruce:2617 Phillip:2606 Greenway:2900 Gungahlin:2912
Kingston:2604 Braddon:2612 Dickson:2602
""",
    "NT": """
Darwin:0800 Palmerston:0830 Casuarina:0810 Alice_Springs:0870 Katherine:0850
""",
}

STREET_NAMES: str = """
High Church Station Victoria Park George King Queen Railway Main Elizabeth William Albert
Mill Bridge Hill Wattle Banksia Acacia Grevillea Jacaranda Waratah Boronia Kurrajong Bottlebrush
Ironbark Melaleuca Casuarina Eucalyptus Paperbark Coolabah Myrtle Orchard Forest Lake River
Beach Ocean Bay Harbour Cliff Ridge Valley Creek Gully Spring Meadow Garden Sunset Sunrise
Pacific Anzac Federation Commonwealth Macquarie Bligh Phillip Hume Hovell Flinders Bass Sturt
Cook Banks Mitchell Oxley Lachlan Murray Darling Hawkesbury Nepean Yarra Swan Torrens Derwent
Princes Pitt Castlereagh Sussex Kent Clarence Liverpool Bathurst Goulburn Collins Bourke Lonsdale
Swanston Russell Spencer Chapel Toorak Glenferrie Burke Sydney Canterbury Wellington
Nelson Raglan Gladstone Beaconsfield Kitchener Edward Alfred Charles Henry Frederick Arthur
James Thomas Margaret Mary Ann Catherine Grace Alice Florence Rose Lily Violet Hazel Ivy
Oak Elm Ash Pine Cedar Maple Willow Poplar Birch Laurel Holly Hawthorn Rosewood Sandalwood
Lyons Curtin Chifley Menzies Deakin Barton Parkes Lawson Wentworth Blaxland Kingsford Smithfield
""".strip().replace("\n", " ")

# Street type and its weight.
STREET_TYPES: str = (
    "Street:40 Road:18 Avenue:10 Court:6 Crescent:6 Drive:6 Place:5 Parade:3 Lane:2 "
    "Close:2 Way:2 Terrace:2 Grove:1 Boulevard:1 Highway:1 Circuit:2 Rise:1 Esplanade:1"
)

# Landline number prefixes (after the 0) by state: area code digit and local prefixes.
# All of these are valid fixed-line ranges per libphonenumber's AU metadata.
LANDLINE_PREFIXES: dict[str, str] = {
    "NSW": "29 28",
    "ACT": "262",
    "VIC": "39 38",
    "TAS": "362",
    "QLD": "73",
    "SA": "882 883",
    "WA": "892 893 894",
    "NT": "898",
}

# Mobile prefixes (the three digits after the leading 0) valid per libphonenumber for AU.
MOBILE_PREFIXES: str = (
    "400 401 402 403 404 405 406 407 408 409 410 411 412 413 414 415 416 417 418 419 "
    "420 421 422 423 424 425 426 427 428 429 430 431 432 433 434 435 436 437 438 439 "
    "447 448 449 450 451 452 455 456 457 458 459 466 467 468 469 470 472 473 474 475 "
    "476 477 478 481 482 484 487 488 490 491 492 493 497 498 499"
)
