"""Reference data for the synthetic citizen generator (see ``synthetic.py``).

Everything here is plain text constants; ``synthetic.py`` parses them once at import.

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

FAMILY_NAMES: dict[str, str] = {
    "anglo": """
620 Smith
520 Jones Williams Brown
470 Wilson Taylor
350 Johnson White Martin Anderson Thompson
300 Thomas Walker Harris Ryan Robinson Kelly King
250 Davis Wright Evans Roberts Green Hall Wood Jackson Clarke Mitchell
210 Campbell Moore Young Scott Stewart Murphy Hughes Edwards Baker Lewis Hill Turner Morris
180 Clark Harrison Cooper Ward Walsh Miller Allen James Bell Johnston Phillips Watson Morgan
180 Collins Lee
150 Davies Marshall Bennett Cook Price Parker Kennedy Graham Reid Richardson McDonald Wallace
150 Russell Murray Ross Hunt Gray Sullivan Shaw
120 Fraser Simpson O'Brien Hamilton Ellis Robertson Wells Cox Matthews Lloyd Chapman Webb
120 Carter Jenkins Butler Holmes Stevens Gibson Owen Mason Dixon Knight Hayes Grant Burke
120 Lynch Byrne Gordon Palmer Rogers Ford Fletcher Pearce Barnes Mills Spencer Dunn
100 Hart Howard Hunter Kerr Black Fisher Lawrence Douglas Armstrong Henderson Ferguson Payne
100 Cameron Duncan McKenzie Quinn Jordan Warren Francis Gardner Hudson Foster Marsh Brennan
100 Cunningham Burns O'Connor Doyle Nolan Barker Day Lane Gill Carroll McLean Elliott Watts
80 Bailey Peters Rose Nicholson Page Berry Sutton Newman Holland Norris Porter Riley Pearson
80 Hodgson Perry Stone Hammond Sharp Curtis Boyd Pratt Farrell Dawson Lucas Fox Rowe Bird
80 Bradley Harvey Hopkins Greenwood Woods Long Freeman Gilbert Atkinson Butcher Cole Saunders
80 Gibbs Jennings Kemp Moran Flynn Daly Brady Maher O'Neill Kavanagh Hogan Reilly
65 Austin Fitzgerald Casey Gallagher Power Dwyer Regan O'Sullivan Sheehan Keane Hickey Moloney
65 McCarthy McGrath McKay McIntyre MacDonald Sinclair Mackenzie Morrison Paterson Bruce Munro
65 Forbes Buchanan Baxter Crawford Hay Kirk Logan Milne Paton Rennie Sutherland Thomson Wilkie
65 Webster Dean Barrett Walters Bishop Chambers Lamb Sharpe Ball Booth Banks Pritchard
50 Parsons Hawkins Wade Rees Griffiths Powell Vaughan Bowen
50 Howell Jarvis Lowe Manning Miles Norton Osborne Pike Randall Reeves Sanders Shepherd Slater
50 Stanley Steele Summers Thornton Tucker Vincent Walton Whitehead Wilkinson Willis Yates Abbott
50 Adams Alexander Ashton Atkins Barton Bates Blake Bond Brooks Burton Chandler Coleman Connolly
50 Conway Cross Dalton Davidson Dobson Doherty Donnelly Duffy Emerson Fleming Gale Garner
40 Goodwin Gough Hale Hancock Hardy Harper Hartley Hewitt Higgins Hobbs Holt Horton Houghton
40 Howe Hutchinson Ingram Jacobs Jeffery Keating Kent Kirby Lambert Lawson Leach Little Lord
40 Lyons Mann Marsden Mathews Maxwell May McCann McCormack McGuire McKenna Mead Moss
40 Nash Nelson Nicholls Oliver Parkes Parry Patterson Peck Perkins Potter Preston Quinlan Rhodes
40 Rice Richards Robson Rowland Rush Ryder Sampson Savage Sexton Sherwood Short Simmons Skinner
30 Sloane Spence Stanton Steel Stephens Stokes Swan Talbot Tate Terry Tobin Todd Tomlinson Tyler
30 Underwood Wall Warner Waters Watkins Weaver West Wheeler Whelan Whitfield Wiggins Wilde Woodward
30 Wyatt Ahern Barry Bourke Callaghan Coughlan Cullen Curran Delaney Devlin Dillon Dolan Egan
30 Fahey Fallon Farrelly Finn Foley Gleeson Griffin Hanlon Healy Hennessy Hurley Kearney
30 Keogh Lenihan Lucey Mahoney McMahon Mulligan Nugent O'Callaghan O'Donnell O'Keefe O'Reilly
30 O'Shea O'Toole O'Hara O'Dea Phelan Quigley Roche Scanlon Sweeney Tierney Toohey Twomey
25 Aitken Allan Anstey Archer Arnold Ashby Bagnall Bainbridge Baird Barlow Bateman Beattie
25 Beck Benson Bentley Birch Blackburn Blair Bolton Bowden Boyle Bradshaw Brett Brookes Bryant
25 Buckley Bull Burgess Burrows Bush Butt Caldwell Carey Carpenter Cartwright Chadwick Chalmers
25 Chester Clayton Clements Cochrane Coates Colley Cope Corbett Cowan Craig Crane Crook
25 Crowe Cummings Dale Dennis Dickson Dodd Downes Drummond Duke Dyer Eaton Edmonds Field Finch
20 Fitzpatrick Flint Forster Fowler Frost Fuller Gallop Garrett Gates Gibb Goddard Gould Gregory
20 Hadley Haines Hanson Harding Hawke Haynes Heath Hepburn Herbert Hicks Hinds Hogg
20 Holden Hood Horne Hull Humphries Hurst Irwin Jackman Jolly Joyce Kane Kay Kearns Kenny Kidd
20 Knowles Lacey Laing Lang Langley Law Leigh Lister Lockwood Lovell Lyon Macdonald Mackay
20 Maddox Malone March Marr Mayo McAllister McBride McCallum McClelland McCulloch McDermott
15 McDougall McEwan McFarlane McGill McGregor McInnes McKee McKinnon McLachlan McLaren McLeod
15 McMillan McNamara McNeil McPherson McRae Mercer Merritt Metcalfe Middleton Moody Moon Morley
15 Morrow Mullins Nixon Noble North Nunn Oakley Ogden Owens Parr Pascoe Paxton Pender
15 Penrose Pickering Pollard Poole Pope Poulter Prince Proctor Pryor Pugh Rae Ramsay Rankin
15 Rawlings Rayner Redmond Reed Reynolds Richmond Rigby Ritchie Roach Roper Rudd Rutherford
12 Ryland Salter Sargent Seymour Shannon Sharman Shields Sims Sinnott Skipper Smart Snell Spicer
12 Stacey Stark Steward Stuart Sykes Tanner Thorne Tindall Tuck Tully Turnbull Upton Vickers
12 Walpole Ware Waring Watt Waugh Weir Whitaker Whiting Whittaker Wilkes Wise Worthington
12 Wren Yeo Youngman Abbey Ainsworth Ashworth Atherton Bannister Beasley Beaumont Blackwell
10 Bligh Bramley Brockman Broughton Burnett Cadell Calder Carmody Catt Cavanagh Chisholm
10 Coombes Cornish Cosgrove Cotter Crichton Cuthbert Darby Dawes Dearden Denholm Dowling
10 Durack Eastwood Elder Falconer Fenwick Fielding Fitzsimons Gallaway Garvey Geraghty Gillespie
10 Glover Gunn Haig Halliday Hargreaves Hedley Henty Hollis Honey Hyland Inglis Judd Keen
8 Kingsley Lachlan Lalor Leahy Lindsay Loughlin Macarthur Madigan Mawson Menzies Moffat
8 Monash Mott Mundy Ogilvie Ormsby Paine Parkinson Peel Petrie Playford Quinton Rafferty Reardon
8 Rooney Scully Searle Shearer Skene Sturt Tebbutt Throsby Trood Vance Wentworth Whitlam Wills
6 Ackland Aldridge Appleby Ashcroft Bassett Bayliss Bickford Blyth Boswell Brabham
6 Burrell Chaffey Chappell Cheney Clancy Cockburn Coulter Crisp Dunstan Eggleston Ewing Farley
6 Farrar Fennell Gamble Gorman Grigg Hardcastle Hegarty Horan Hoskins Keenan Lathlean Lavery
4 Smith-Jones Taylor-Brown Wilson-Clarke Harris-Wood Lloyd-Jones Davies-Evans Hamilton-Smith
4 Scott-Murray Brown-Kelly Jones-Walsh
""",
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

# ---------------------------------------------------------------------------------------
# Given names. Anglo names depend on the birth era; other groups use one list.
# ---------------------------------------------------------------------------------------

# Birth years splitting the Anglo eras: before 1970 "older", 1970-1994 "middle", later "young".
ERA_BOUNDARIES: tuple[int, int] = (1970, 1995)

ANGLO_GIVEN: dict[str, dict[str, str]] = {
    "older": {
        "M": """
100 John Peter David Michael Robert
70 Paul Stephen Mark Ian Graham Geoffrey Kevin Gary Brian Anthony Christopher Richard
70 William James
50 Ronald Kenneth Raymond Barry Alan Keith Colin Neil Bruce Gregory Phillip Terence
35 Dennis Trevor Wayne Malcolm Donald Douglas Allan Russell Rodney Warren Darryl Glenn
25 Craig Ross Noel Leslie Lawrence Francis Maxwell Norman Gordon Lindsay Murray Stanley
15 Frederick Harold Clive Rex Vincent Desmond Bernard Gerald Lance Neville Ernest
""",
        "F": """
100 Margaret Patricia Susan Jennifer
70 Barbara Helen Elizabeth Mary Dorothy Joan Carol Christine Judith Janet Robyn
50 Kerry Lynette Pamela Julie Wendy Sandra Deborah Karen Jillian Gail Denise Anne
35 Kathleen Jean Beverley Shirley Valerie Glenys Heather Joy Maureen Lorraine Rosemary
25 Cheryl Diane Janice Marilyn Narelle Gwen Elaine Colleen Noeline Merle June Marion
15 Dawn Yvonne Raelene Coral Jocelyn Jill Rhonda Bronwyn
""",
    },
    "middle": {
        "M": """
100 Matthew Daniel Andrew Michael Christopher David James
70 Benjamin Luke Nathan Adam Scott Jason Ryan Joshua Thomas Timothy
50 Shane Brendan Bradley Dean Aaron Jarrod Troy Justin Simon Nicholas Jonathan Samuel
35 Damien Glen Craig Jamie Cameron Mitchell Brett Travis Steven Marcus Patrick Jeremy
25 Kane Blake Anthony Paul Peter Stuart Darren Leigh Clinton Wade Rhys Corey
10 André Sean Owen Gareth Hamish
""",
        "F": """
100 Sarah Jessica Rebecca Emma Michelle
70 Kylie Lisa Melissa Amanda Nicole Rachel Kate Katherine Emily Laura
50 Samantha Stephanie Jennifer Natalie Danielle Belinda Renee Tanya Alison Kristy
35 Leanne Fiona Joanne Hayley Ashleigh Amy Elizabeth Claire Megan Bianca Catherine
25 Kirsty Louise Naomi Tegan Courtney Jodie Tracey Vanessa Kelly Brooke Rebekah Lauren
10 Renée Chloé Simone Monique Carly
""",
    },
    "young": {
        "M": """
100 Oliver Jack William Noah Thomas
70 Lucas Henry Leo James Charlie Ethan Liam Harrison Lachlan Cooper
50 Max Hudson Archie Mason Harry Samuel Alexander Isaac Hunter Riley Joshua Levi
35 Xavier Oscar Theodore Jayden Tyler Dylan Jacob Benjamin Luca Finn Flynn Patrick
25 Angus Hamish Zac Mitchell Jett Elijah Sebastian Arlo Hugo Felix Ryder Beau
""",
        "F": """
100 Charlotte Olivia Amelia Isla Mia
70 Ava Grace Chloe Willow Matilda Ella Sophie Ruby Emily Zoe
50 Harper Isabella Sienna Evie Lily Hannah Georgia Sophia Scarlett Audrey Frankie
35 Poppy Ivy Madison Jasmine Jade Tahlia Maddison Lilly Abbey Brooke Imogen Eliza
25 Holly Lucy Sarah Layla Mackenzie Hazel Stella Violet Aria Phoebe Mila Ellie
6 Zoë
""",
    },
}

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
