"""Reference data for synthetic given names, nicknames and middle-name conventions.

Same text format as ``data_names``: ``<weight> Name Name ...`` per tier, ``_`` for a space.
"""

from __future__ import annotations

# ---------------------------------------------------------------------------------------
# Given names. Anglo names depend on the birth era; other groups use one list.
# ---------------------------------------------------------------------------------------

# Birth years splitting the Anglo eras: before 1970 "older", 1970-1994 "middle", later "young".
ERA_BOUNDARIES: tuple[int, int] = (1970, 1995)

# Anglo given names come from the SSA baby-name counts summed over each era, in
# data/given_names.csv.gz (see data/README.md and ``names_data``).

GROUP_GIVEN: dict[str, dict[str, str]] = {
    "chinese": {
        "M": """
60 Wei Jun Jian Hao Ming
40 Lei Yang Tao Qiang Jie Feng Zhi Yong Kai Xin Bo Chao Peng
20 Ka-Wai Chi-Ming Wing Kin Siu-Ming Hong
""",
        "F": """
60 Mei Li Ying Xiu Yan Jing
40 Hong Fang Na Min Lan Yue Hui Qing Ling Ting Shu Xiaoling Xiaomei
20 Wai-Ling Mei-Ling Suk-Yee Yuen Lai
""",
    },
    "indian": {
        "M": """
60 Rahul Amit Arjun Vikram Rajesh Sanjay
40 Harpreet Gurpreet Manpreet Aditya Rohan Arun Sunil Ravi Deepak Anil Suresh Vijay
20 Karan Nikhil Pradeep Ashok Dinesh Mahesh Jaspreet Navdeep Kasun Nuwan Dilshan
""",
        "F": """
60 Priya Anjali Pooja Neha Sunita
40 Kavita Deepa Lakshmi Shreya Divya Harpreet Simran Anita Meera Nisha Manpreet
20 Ritu Swati Aishwarya Kiran Jaspreet Navneet Dilini Nirmala Shanthi
""",
    },
    "italian": {
        "M": """
60 Giuseppe Antonio Salvatore Giovanni
40 Marco Luca Francesco Domenico Vincenzo Angelo Carmelo Rocco Paolo
20 Pasquale Sergio Mario Bruno Roberto
""",
        "F": """
60 Maria Giuseppina Rosa Anna
40 Francesca Giulia Concetta Carmela Antonella Lucia Teresa Angela
20 Rosaria Assunta Pina Silvana Gabriella
""",
    },
    "greek": {
        "M": """
60 Georgios Konstantinos Dimitrios Ioannis Nikolaos
40 Christos Vasilios Panagiotis Spiros Theo Stavros Kosta Con
20 Angelos Manolis Andreas Yianni
""",
        "F": """
60 Maria Eleni Katerina Georgia
40 Sophia Despina Athena Voula Vasiliki Dimitra Anastasia Irene Stella
20 Eftihia Panagiota Chrysoula Fotini
""",
    },
    "vietnamese": {
        "M": """
60 Minh Tuan Duc Hung Thanh
40 Quang Long Nam Dung Khoa Phuc Hieu Vinh Tri Khang
""",
        "F": """
60 Linh Lan Huong Mai Trang
40 Ngoc Thao Hoa Phuong Anh Thuy Hanh Tuyet Nhung Van
""",
    },
    "arabic": {
        "M": """
60 Mohammed Ahmad Ali Omar Hassan
40 Hussein Khaled Bilal Mustafa Ibrahim Youssef Elias Georges Charbel Tony Jihad
20 Ziad Walid Samir Fadi Rami Tarek
""",
        "F": """
60 Fatima Aisha Mariam Zeinab
40 Layla Rania Nour Yasmin Hala Rana Maya Samira Rima Lina
20 Nadia Dalia Joumana Hiba Amal
""",
    },
    "filipino": {
        "M": """
60 Jose Juan Mark
40 Rodel Marlon Jerome Carlo Ramon Jonathan Arnel
10 José
""",
        "F": """
60 Maria Marites Rowena
40 Jocelyn Rosalie Maricel Cristina Analyn Leah Joy Lovely
""",
    },
    "korean": {
        "M": """
50 Min-jun Ji-hoon Seung-ho Hyun-woo Dong-hyun Jae-won Sung-min Joon-young
""",
        "F": """
50 Ji-yeon Seo-yeon Min-ji Eun-ji Hye-jin Soo-jin Yoon-ah Ha-eun
""",
    },
    "european": {
        "M": """
60 Hans Stefan Jan Marko Ivan
40 Klaus Tomasz Piotr Dragan Johannes Lukas Josip Zoran Milan Joseph Carmel Anton
20 Dieter Jürgen Pieter Willem Goran Nikola
""",
        "F": """
60 Ingrid Anneke Ana Marija Monika
40 Katarzyna Agnieszka Jelena Ivana Helga Greta Petra Carmen Doris
20 Ursula Brigitte Marijke Dragana Snežana
""",
    },
    "hispanic": {
        "M": """
60 José Carlos Luis Diego
40 Javier Alejandro Miguel Andrés Jorge Mateo
""",
        "F": """
60 María Lucía Sofía Camila
40 Valentina Isabel Carolina Gabriela Daniela Paula
""",
    },
}

# English diminutives / nicknames used as preferred names.
NICKNAMES: dict[str, str] = {
    "William": "Bill Will Liam",
    "Robert": "Rob Bob Bobby",
    "Richard": "Rick Rich",
    "James": "Jim Jimmy Jamie",
    "John": "Johnny Jack",
    "Michael": "Mick Mike Mikey",
    "Christopher": "Chris Topher",
    "Matthew": "Matt",
    "Daniel": "Dan Danny",
    "Andrew": "Andy Drew",
    "Anthony": "Tony Ant",
    "Benjamin": "Ben Benji",
    "Nicholas": "Nick Nico",
    "Samuel": "Sam Sammy",
    "Thomas": "Tom Tommy",
    "Joshua": "Josh",
    "Alexander": "Alex Xander",
    "Jonathan": "Jon Jono",
    "Timothy": "Tim",
    "Stephen": "Steve",
    "Steven": "Steve",
    "Gregory": "Greg",
    "Geoffrey": "Geoff",
    "Kenneth": "Ken",
    "Raymond": "Ray",
    "Ronald": "Ron Ronnie",
    "Terence": "Terry",
    "Phillip": "Phil",
    "Lawrence": "Laurie Larry",
    "Francis": "Frank",
    "Douglas": "Doug",
    "Donald": "Don",
    "Malcolm": "Mal",
    "Leslie": "Les",
    "Bradley": "Brad",
    "Cameron": "Cam",
    "Lachlan": "Lachie Lachy",
    "Harrison": "Harry",
    "Theodore": "Theo Ted",
    "Patrick": "Paddy Pat",
    "Mitchell": "Mitch",
    "Frederick": "Fred Freddie",
    "Maxwell": "Max",
    "Nathan": "Nate",
    "Zachary": "Zac",
    "Edward": "Ed Eddie Ted",
    "Elizabeth": "Liz Beth Lizzie",
    "Margaret": "Maggie Marg Peggy",
    "Patricia": "Pat Trish",
    "Susan": "Sue Suzie",
    "Jennifer": "Jenny Jen",
    "Barbara": "Barb",
    "Katherine": "Kate Kath Katie",
    "Catherine": "Cathy Kate",
    "Kathleen": "Kath",
    "Rebecca": "Bec Becky",
    "Samantha": "Sam",
    "Jessica": "Jess Jessie",
    "Stephanie": "Steph",
    "Alison": "Ali",
    "Christine": "Chris Chrissie",
    "Deborah": "Deb Debbie",
    "Pamela": "Pam",
    "Jillian": "Jill",
    "Beverley": "Bev",
    "Valerie": "Val",
    "Dorothy": "Dot Dottie",
    "Judith": "Judy",
    "Rosemary": "Rose Ro",
    "Charlotte": "Charlie Lottie",
    "Isabella": "Bella Izzy",
    "Matilda": "Tilly",
    "Amelia": "Millie",
    "Madison": "Maddie",
    "Maddison": "Maddie",
    "Gwen": "Gwennie",
    "Natalie": "Nat",
    "Danielle": "Dani",
    "Amanda": "Mandy",
    "Melissa": "Mel Lissa",
    "Giuseppe": "Joe Pino",
    "Giovanni": "John Gianni",
    "Salvatore": "Sam Sal",
    "Francesco": "Frank",
    "Konstantinos": "Con Kosta",
    "Dimitrios": "Jim Jimmy",
    "Georgios": "George",
    "Nikolaos": "Nick",
    "Ioannis": "John",
    "Panagiotis": "Peter Panos",
    "Vasiliki": "Vicky",
    "Mohammed": "Mo",
    "Youssef": "Joe",
}

# Given names that commonly take an English preferred name instead of a diminutive.
ENGLISH_PREFERRED_GROUPS: frozenset[str] = frozenset({"chinese", "vietnamese", "korean"})

# Vietnamese and Filipino middle-name conventions.
VIETNAMESE_MIDDLE: dict[str, str] = {"M": "Van Duc Minh Quoc Huu", "F": "Thi Ngoc Thu Kim"}
