"""Reference data for synthetic names: cultural groups, their languages and family names.

Everything here is plain text constants; the generator modules parse them once at import.

Weighted name lists use one line per weight tier: ``<weight> Name Name ...``. An underscore
inside a name stands for a space (``De_Silva`` is "De Silva"). Weights are relative within a
list; group shares (how much of the population a cultural group of names represents) are in
``GROUP_SHARES``. The proportions approximate contemporary Australia: an Anglo-Celtic
majority, with Chinese, Indian and Sri Lankan, Italian, Greek, Vietnamese, Lebanese and other
Arabic-speaking, Filipino, Korean, continental European and Hispanic names.
"""

from __future__ import annotations

# Share of the population drawing its names from each group, and the probability that a
# person of that group was given an English (Anglo) first name instead of a group name.
GROUP_SHARES: dict[str, float] = {
    "anglo": 0.745,
    "chinese": 0.055,
    "indian": 0.038,
    "italian": 0.040,
    "greek": 0.020,
    "vietnamese": 0.016,
    "arabic": 0.016,
    "filipino": 0.012,
    "korean": 0.006,
    "european": 0.045,
    "hispanic": 0.007,
}

ANGLO_GIVEN_PROBABILITY: dict[str, float] = {
    "anglo": 1.0,
    "chinese": 0.40,
    "indian": 0.08,
    "italian": 0.45,
    "greek": 0.40,
    "vietnamese": 0.35,
    "arabic": 0.20,
    "filipino": 0.45,
    "korean": 0.30,
    "european": 0.50,
    "hispanic": 0.20,
}

# Preferred language (ISO 639-1) by group: (code, weight) pairs as "code:weight".
GROUP_LANGUAGES: dict[str, str] = {
    "anglo": "en:995 es:2 fr:1 de:1 ja:1",
    "chinese": "en:55 zh:45",
    "indian": "en:80 hi:8 pa:8 ta:4",
    "italian": "en:85 it:15",
    "greek": "en:82 el:18",
    "vietnamese": "en:50 vi:50",
    "arabic": "en:70 ar:30",
    "filipino": "en:90 tl:10",
    "korean": "en:55 ko:45",
    "european": "en:88 de:3 nl:2 pl:3 hr:2 sr:2",
    "hispanic": "en:65 es:35",
}

# ---------------------------------------------------------------------------------------
# Family names
# ---------------------------------------------------------------------------------------

# The "anglo" group (English-speaking naming, the majority) draws its family names from the
# US Census 2010 surname counts in data/family_names.csv.gz (see data/README.md and
# ``names_data``); the groups below keep their own lists.
FAMILY_NAMES: dict[str, str] = {
    "chinese": """
300 Wang Li Zhang Chen
220 Liu Yang Huang Zhao Wu Zhou
160 Xu Sun Ma Zhu Hu Guo He Lin Wong Chan
110 Gao Luo Zheng Liang Xie Tang Han Cao Deng Feng Cheng Lee Lau Leung Ho Ng
70 Cai Peng Pan Yuan Yu Dong Lu Jiang Tan Cheung Chow Lam Tse Kwok Yip Chong Chung Fung
40 Mak Tam Siu Yeung Kwan Lo Tsang Ding Wei Shen Xiao Song Fan Du Qian Ye Su
""",
    "indian": """
400 Singh
200 Kumar Patel Sharma
100 Shah Gupta Reddy Rao Kaur Khan Nair Iyer Fernando Perera
60 Pillai Menon Ahmed Das Chopra Kapoor Malhotra Mehta Joshi Verma Agarwal Bhatia Desai Jain
60 Gill Sandhu Sidhu Dhillon Grewal Silva De_Silva Varghese Mathew Joseph D'Souza
30 Chauhan Yadav Mishra Pandey Tiwari Banerjee Chatterjee Mukherjee Bose Sen Jayasinghe
30 Wickramasinghe Gunawardena Raj Krishnan Subramaniam Naidu Bajwa Brar Saini Thakur Bhatt
20 Kulkarni Deshpande Chaudhary Arora Sethi Kohli Anand Goyal Mittal Bansal Ramachandran Venkatesh
""",
    "italian": """
120 Rossi Russo Romano Esposito Bianchi Ferrari Colombo Ricci Marino Greco Bruno Costa
80 Gallo Conti De_Luca Giordano Mancini Rizzo Lombardi Moretti Caruso Santoro Romeo Leone
80 Ferrara Martini Longo Gentile Vitale Lombardo Serra Coppola De_Santis D'Angelo Marchetti
50 Parisi Villa Conte Ferraro Ferri Fabbri Bianco Marini Grasso Valentini Messina Barbieri
50 Fontana Mariani Rinaldi Galli Gatti Pellegrini Palumbo Farina Rizzi Monti Morelli Amato
30 Silvestri Mazza Testa Grassi Pellegrino Carbone Giuliani Benedetti Barone Rossetti Caputo
30 Montanari Guerra Palmieri Bernardi Martino Fiore De_Rosa Ferretti Bellini Basile Riva
30 Donati Battaglia Sartori Neri Costantini Milani Pagano Ruggiero Sorrentino D'Amico Orlando
30 Zappia Trimboli Papalia Sergi Mammone Catanzariti Perri Napoli Scarfo Crisafulli Cutri
""",
    "greek": """
100 Papadopoulos Georgiou Dimitriou Nikolaou Ioannou Christodoulou Konstantinou Pappas
60 Papas Karagiannis Vlahos Economou Kyriakou Panagiotou Antoniou Michaelides Stavrou
60 Athanasiou Papadakis Alexiou Vasiliou Demetriou Theodorou Angelopoulos Katsaros
40 Manolis Makris Petrou Spiropoulos Christou Papageorgiou Kotsopoulos Galanis Raftopoulos
40 Tsoukalas Giannopoulos Lambrou Mavros Kouris Anastasiou Pavlou Charalambous Koutsoukos
25 Nicolaidis Sotiropoulos Zervos Karras Andreou Kalogeropoulos Tsakalos Hatzis Laskaris
""",
    "vietnamese": """
1000 Nguyen
300 Tran Le
200 Pham Huynh
120 Hoang Phan Vu Vo Dang Bui Do
70 Ho Ngo Duong Ly Truong Dinh Lam Ha Mai Luong Trinh Cao Quach
""",
    "arabic": """
100 Khoury Haddad Nasser Saleh Hassan Hussein Ahmad Ali Mohamed Ibrahim
60 Younes Khalil Awad Hanna Issa Mansour Farah Karam Saad Abdallah El-Hage Rahme
40 Sleiman Habib Daher Chahine Azzi Nassar Aoun Fakhoury Geagea Abboud Sabbagh Tannous
30 Elias Jaber Kassem Chidiac Harb Makhoul Abou-Khalil El-Masri Zreika Kanaan Bou_Saab
20 Dib Fares Hamad Rizk Salim Obeid Semaan Toufic Najjar Moussa
""",
    "filipino": """
100 Santos Reyes Cruz Bautista Garcia Mendoza
60 Dela_Cruz Del_Rosario Villanueva Aquino Mercado Ramos Castillo Torres Flores
40 Domingo Pascual Santiago Castro Aguilar Navarro Fernandez Gonzales Lopez Soriano
30 Manalo Dizon Tolentino Salazar Mangubat Pangilinan Macaraeg Magbanua
""",
    "korean": """
300 Kim
200 Lee Park
100 Choi Jung Kang Cho Yoon
60 Jang Lim Han Shin Seo Kwon Oh Song Hwang
""",
    "european": """
60 Schmidt Schneider Fischer Weber Meyer Wagner Becker Muller Hoffmann Klein Wolf Braun
40 Schulz Koch Richter Schroeder Neumann Schwarz Zimmermann Hartmann Lange Werner Krause
40 De_Jong Jansen De_Vries Van_Dijk Bakker Visser Smit Meijer De_Boer Mulder De_Groot Bos
30 Vos Hendriks Van_Leeuwen Dekker Brouwer Dijkstra Van_den_Berg Nowak Kowalski Wisniewski
30 Wojcik Kowalczyk Kaminski Lewandowski Zielinski Szymanski Wozniak Horvat Kovacevic Babic
30 Maric Juric Novak Kovac Petrovic Jovanovic Nikolic Markovic Djordjevic Ilic Stojanovic
40 Borg Camilleri Vella Farrugia Zammit Galea Micallef Grech Attard Spiteri Azzopardi Mifsud
20 Cassar Caruana Debono Portelli Stojanovski Trajkovski Petrovski Nikolovski Dimovski
20 Pavlovic Popovic Lehmann Krüger Jensen Nielsen Hansen Andersen Larsen Lindqvist Virtanen
""",
    "hispanic": """
80 Garcia Rodriguez Martinez Hernandez Lopez Gonzalez Perez Sanchez
50 Ramirez Torres Flores Rivera Gomez Diaz Morales Ortiz Gutierrez Ruiz
30 Castillo Jiménez Vargas Romero Álvarez Herrera Medina Muñoz Rojas Silva Núñez
""",
}
