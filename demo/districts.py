"""Deterministic synthetic demo data (`manage.py seed_demo`).

Four demo districts are named after the four source documents (DOMAIN.md):
Loudon County (TN), Holland Patent (NY), Ohio Virtual Academy (OH) and LAUSD
secondary (CA). Every school, person, address and number here is invented:
phone numbers are in the 555-01xx range reserved for fiction, e-mail addresses
use the reserved example.* and .invalid domains.

Two halves:

* `build_district` is pure: a seed and a size in, plain rows out (no database).
  Every district draws from its own `random.Random`, so the same seed and size
  always give the same schools, staff, students, ids and names.
* `write_district` writes one plan with bulk inserts inside one transaction and
  inside `tenant_context(district)`, as row-level security on PostgreSQL
  requires. It never calls per-row services or `full_clean`, so 50,000 students
  take seconds, not minutes.

`seed_demo` ties them together and is idempotent: a demo district that already
has students is left alone unless `reset=True`.
"""

from __future__ import annotations

import math
import random
import time
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from itertools import accumulate

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone
from guardian.shortcuts import get_perms_for_model

from demo.bulk import copy_create
from demo.cico import seed_point_cards
from demo.early_warning import seed_early_warning_flags, seed_early_warning_records
from demo.interventions import seed_interventions
from demo.processes import seed_processes
from demo.reading import seed_reading_guarantee
from demo.screening import seed_screening
from demo.stories import seed_stories
from interventions.models import TierPlacement
from mtss.calendars.demo import seed_calendars
from mtss.models import District, Membership, MembershipSchool, PolicyVersion, Role, School, SchoolYear, User
from mtss.policy import preset_data
from mtss.rls import APPEND_ONLY, district_models
from mtss.services import audit, district_create, policy_version_create
from mtss.tenancy import owner_mode, tenant_context
from students.access import VIEW_STUDENT
from students.models import Enrollment, Guardian, Student, StudentUserObjectPermission

# Demo only: printed on screen and in the README. Never use it for a real account.
DEMO_PASSWORD = "demo-password-2026"
DEMO_EMAIL_DOMAIN = "demo.mtss.invalid"
DEMO_NAME_SUFFIX = "(demo)"
DEFAULT_SEED = 2026
BATCH = 2000
STUDENTS_PER_SCHOOL = 400  # when scaled up, one more school per ~400 students (400,000: 1,000 schools)

# The login for each role: `<short>.<district suffix>`, e.g. principal.loudon.
ROLE_LOGINS = [
    (Role.DISTRICT_ADMIN, "admin"),
    (Role.PRINCIPAL, "principal"),
    (Role.INTERVENTION_SPECIALIST, "specialist"),
    (Role.TEACHER, "teacher"),
    (Role.PSYCHOLOGIST, "psych"),
    (Role.COUNSELOR, "counselor"),
    (Role.READ_ONLY, "readonly"),
]
SHORT = dict(ROLE_LOGINS)


class DemoError(Exception):
    """The demo cannot be (re)built as asked; the message says why and what to do."""


# --- District specifications ----------------------------------------------------------------


@dataclass(frozen=True)
class SchoolTemplate:
    name: str
    code: str
    grade_low: int
    grade_high: int


@dataclass(frozen=True)
class DistrictSpec:
    slug: str
    name: str
    state: str
    timezone: str
    suffix: str  # login suffix: principal.<suffix>
    id_prefix: str  # student local ids: <prefix>100001
    default_students: int
    address: str
    phone: str
    schools: tuple[SchoolTemplate, ...]
    extra_school_name: str  # "{place} {kind}" for schools added when scaled up
    # name, first day, last day; the first is the current year.
    years: tuple[tuple[str, date, date], ...]
    languages: tuple[tuple[str, float], ...]  # home language -> weight
    english_home_races: tuple[tuple[str, float], ...]
    el_rate: float  # share of non-English-home students who are English learners
    rates: dict  # subgroup -> share
    standard_english_learners: bool
    # area key (as in the district's policy preset, mtss/policy/presets), tier-2 share, tier-3 share
    areas: tuple[tuple[str, float, float], ...]
    top_tier: int
    teacher_grade: int  # grade taught by the teacher.<suffix> login
    cities: tuple[tuple[str, str], ...]  # city, ZIP code
    area_codes: tuple[str, ...]
    screening: dict  # area -> what the fall screening found
    staff_languages: float  # share of staff names drawn like the students' (rest: general)


_COMMON_RATES = {
    "disability_iep": 0.13,
    "section_504": 0.03,
    "homeless": 0.02,
    "foster": 0.01,
    "gifted": 0.07,
}

SPECS: tuple[DistrictSpec, ...] = (
    DistrictSpec(
        slug="loudon-county-tn",
        name="Loudon County Schools (demo)",
        state="TN",
        timezone="America/New_York",
        suffix="loudon",
        id_prefix="LC",
        default_students=320,
        address="100 Demo Avenue, Loudon, TN 37774",
        phone="(865) 555-0100",
        schools=(
            SchoolTemplate("Tellico Bend Elementary School", "LC-110", 0, 5),
            SchoolTemplate("Cedar Hollow Elementary School", "LC-120", 0, 5),
            SchoolTemplate("Piney Ridge School", "LC-130", 0, 8),
            SchoolTemplate("Lenoir Crossing Middle School", "LC-210", 6, 8),
        ),
        extra_school_name="{place} {kind}",
        years=(("2026-2027", date(2026, 8, 5), date(2027, 6, 1)), ("2025-2026", date(2025, 8, 6), date(2026, 6, 1))),
        languages=(("en", 87), ("es", 11), ("ar", 0.5), ("vi", 0.5), ("zh-hans", 0.4), ("other", 0.6)),
        english_home_races=(
            ("white", 86),
            ("hispanic", 5),
            ("black", 2),
            ("two_or_more", 4),
            ("asian", 1),
            ("american_indian", 1),
            ("unknown", 1),
        ),
        el_rate=0.55,
        rates={**_COMMON_RATES, "socioeconomically_disadvantaged": 0.50},
        standard_english_learners=False,
        areas=(("reading", 0.15, 0.05),),
        top_tier=3,
        teacher_grade=3,
        cities=(("Lenoir City", "37771"), ("Loudon", "37774"), ("Greenback", "37742"), ("Philadelphia", "37846")),
        area_codes=("865",),
        screening={"reading": "aimsweb reading benchmark below the 25th national percentile"},
        staff_languages=0.1,
    ),
    DistrictSpec(
        slug="holland-patent-ny",
        name="Holland Patent Central School District (demo)",
        state="NY",
        timezone="America/New_York",
        suffix="hollandpatent",
        id_prefix="HP",
        default_students=260,
        address="200 Demo Street, Holland Patent, NY 13354",
        phone="(315) 555-0100",
        schools=(
            SchoolTemplate("Maple Ridge Primary School", "HP-101", 0, 2),
            SchoolTemplate("Orchard Lane Elementary School", "HP-102", 3, 5),
            SchoolTemplate("Tanglewood Middle School", "HP-201", 6, 8),
            SchoolTemplate("Steuben Valley High School", "HP-301", 9, 12),
        ),
        extra_school_name="{place} {kind}",
        years=(("2026-2027", date(2026, 8, 31), date(2027, 6, 25)), ("2025-2026", date(2025, 9, 2), date(2026, 6, 26))),
        languages=(("en", 95), ("es", 1.5), ("ru", 1.2), ("ar", 1.0), ("other", 1.0), ("zh-hans", 0.3)),
        english_home_races=(
            ("white", 92),
            ("two_or_more", 3),
            ("hispanic", 2),
            ("black", 1.5),
            ("asian", 1),
            ("american_indian", 0.5),
        ),
        el_rate=0.5,
        rates={**_COMMON_RATES, "section_504": 0.04, "homeless": 0.01, "socioeconomically_disadvantaged": 0.40},
        standard_english_learners=False,
        areas=(("ela", 0.15, 0.05), ("math", 0.12, 0.04)),
        top_tier=4,  # Tier 4 = special education (the Committee on Special Education)
        teacher_grade=4,
        cities=(
            ("Holland Patent", "13354"),
            ("Barneveld", "13304"),
            ("Remsen", "13438"),
            ("Marcy", "13403"),
            ("Stittville", "13469"),
        ),
        area_codes=("315",),
        screening={
            "ela": "Star Reading (ELA) below the district cut score",
            "math": "Star Math below the district cut score",
        },
        staff_languages=0.05,
    ),
    DistrictSpec(
        slug="ohio-virtual-academy",
        name="Ohio Virtual Academy (demo)",
        state="OH",
        timezone="America/New_York",
        suffix="ohva",
        id_prefix="OV",
        default_students=340,
        address="300 Demo Road, Maumee, OH 43537",
        phone="(419) 555-0100",
        schools=(
            SchoolTemplate("Buckeye Online Elementary School", "OV-100", 0, 5),
            SchoolTemplate("Buckeye Online Middle School", "OV-200", 6, 8),
            SchoolTemplate("Buckeye Online High School", "OV-300", 9, 12),
        ),
        extra_school_name="{place} Online {kind}",
        years=(("2026-2027", date(2026, 8, 17), date(2027, 6, 4)), ("2025-2026", date(2025, 8, 18), date(2026, 6, 5))),
        languages=(
            ("en", 89),
            ("es", 4),
            ("ar", 2),
            ("other", 2.5),
            ("zh-hans", 0.8),
            ("ru", 0.8),
            ("vi", 0.6),
            ("ht", 0.3),
        ),
        english_home_races=(
            ("white", 68),
            ("black", 18),
            ("two_or_more", 7),
            ("hispanic", 4),
            ("asian", 1.5),
            ("american_indian", 0.5),
            ("unknown", 1),
        ),
        el_rate=0.45,
        rates={**_COMMON_RATES, "disability_iep": 0.16, "socioeconomically_disadvantaged": 0.60},
        standard_english_learners=False,
        areas=(("reading", 0.15, 0.05), ("math", 0.13, 0.05)),
        top_tier=3,
        teacher_grade=3,
        cities=(
            ("Columbus", "43215"),
            ("Cleveland", "44113"),
            ("Cincinnati", "45202"),
            ("Dayton", "45402"),
            ("Toledo", "43604"),
            ("Akron", "44308"),
            ("Athens", "45701"),
            ("Lima", "45801"),
            ("Zanesville", "43701"),
            ("Youngstown", "44503"),
        ),
        area_codes=("614", "216", "513", "937", "419", "330", "740"),
        screening={
            "reading": "aimsweb+ / NWEA MAP reading below target (not on track)",
            "math": "aimsweb+ / NWEA MAP math below target",
        },
        staff_languages=0.05,
    ),
    DistrictSpec(
        slug="lausd-secondary",
        name="Los Angeles Unified, secondary (demo)",
        state="CA",
        timezone="America/Los_Angeles",
        suffix="lausd",
        id_prefix="LA",
        default_students=400,
        address="400 Demo Boulevard, Los Angeles, CA 90017",
        phone="(213) 555-0100",
        schools=(
            SchoolTemplate("Jacaranda Middle School", "LA-610", 6, 8),
            SchoolTemplate("Sycamore Canyon Middle School", "LA-620", 6, 8),
            SchoolTemplate("Sierra Palms Span School", "LA-630", 6, 12),
            SchoolTemplate("Cielo Alto High School", "LA-910", 9, 12),
            SchoolTemplate("Harbor Terrace High School", "LA-920", 9, 12),
        ),
        extra_school_name="{place} {kind}",
        years=(
            ("2026-2027", date(2026, 8, 13), date(2027, 6, 10)),
            ("2025-2026", date(2025, 8, 14), date(2026, 6, 11)),
        ),
        languages=(
            ("es", 48),
            ("en", 38),
            ("ko", 3.2),
            ("hy", 3),
            ("tl", 2),
            ("zh-hans", 1.5),
            ("vi", 1.2),
            ("ru", 1),
            ("zh-hant", 0.8),
            ("ar", 0.8),
            ("other", 0.5),
        ),
        english_home_races=(
            ("hispanic", 45),
            ("black", 20),
            ("white", 18),
            ("asian", 8),
            ("two_or_more", 5),
            ("pacific_islander", 1),
            ("american_indian", 0.5),
            ("unknown", 2.5),
        ),
        el_rate=0.35,
        rates={**_COMMON_RATES, "homeless": 0.03, "gifted": 0.09, "socioeconomically_disadvantaged": 0.70},
        standard_english_learners=True,
        areas=(("ela", 0.15, 0.05), ("math", 0.15, 0.05), ("behavior", 0.10, 0.03)),
        top_tier=3,
        teacher_grade=7,
        cities=(
            ("Los Angeles", "90011"),
            ("Los Angeles", "90033"),
            ("Los Angeles", "90026"),
            ("Los Angeles", "90006"),
            ("Van Nuys", "91405"),
            ("North Hollywood", "91601"),
            ("Sun Valley", "91352"),
            ("San Pedro", "90731"),
            ("Wilmington", "90744"),
            ("Reseda", "91335"),
        ),
        area_codes=("213", "323", "818", "310", "747"),
        screening={
            "ela": "multiple measures: ELA below standard",
            "math": "multiple measures: math below standard",
            "behavior": "behavior screener and office referrals above the school's threshold",
        },
        staff_languages=0.35,
    ),
)
SPEC_BY_SLUG = {spec.slug: spec for spec in SPECS}

PLACES_A = (
    "Oak",
    "Cedar",
    "Maple",
    "Willow",
    "Aspen",
    "Birch",
    "Pine",
    "Hickory",
    "Laurel",
    "Magnolia",
    "Sycamore",
    "Juniper",
    "Poplar",
    "Chestnut",
    "Dogwood",
    "Redbud",
    "Cypress",
    "Elm",
    "Alder",
    "Linden",
)
PLACES_B = ("Ridge", "Creek", "Hollow", "Valley", "Park", "Springs", "Meadow", "Grove", "Heights", "Crossing")
SCHOOL_KINDS = {
    (0, 2): "Primary School",
    (3, 5): "Elementary School",
    (0, 5): "Elementary School",
    (0, 8): "School",
    (6, 8): "Middle School",
    (9, 12): "High School",
    (6, 12): "Span School",
    (0, 12): "Academy",
}

# --- Names ------------------------------------------------------------------------------------
# Pools by home language (and, for English-speaking homes, loosely by race).


@dataclass(frozen=True)
class NamePool:
    female: tuple[str, ...]
    male: tuple[str, ...]
    last: tuple[str, ...]
    feminine_last: bool = False  # Russian-style -ov/-ova


def _split(text: str) -> tuple[str, ...]:
    return tuple(name.strip() for name in text.split(",") if name.strip())


GENERAL = NamePool(
    female=_split(
        "Emma, Olivia, Ava, Sophia, Mia, Charlotte, Amelia, Harper, Evelyn, Abigail, Emily, Elizabeth, Avery, Ella, "
        "Madison, Scarlett, Grace, Chloe, Lily, Hannah, Addison, Natalie, Brooklyn, Leah, Zoe, Savannah, Audrey, "
        "Claire, Skylar, Lucy, Paisley, Anna, Caroline, Kennedy, Aaliyah, Kinsley, Allison, Maya, Sarah, Madelyn, "
        "Adeline, Naomi, Alice, Sadie, Hailey, Eva, Autumn, Quinn, Nevaeh, Piper, Ruby, Serenity, Willow, Everly, "
        "Cora, Kaylee, Lydia, Peyton, Melanie, Julia, Nova, Clara, Vivian, Reagan, Mackenzie, Madeline, Delilah, "
        "Isla, Katherine, Sophie, Josephine, Ivy, Jade, Taylor, Hadley, Faith, Alexandra, Ashley, Brianna, Bailey, "
        "Mary, Jasmine, Margaret, Alyssa, Norah, Kayla, Eden, Eleanor, Destiny, Imani, Jada, Nia, Zuri, Amara, "
        "Kiara, Makayla, Tiana, Aniyah, Journee"
    ),
    male=_split(
        "Liam, Noah, William, James, Oliver, Benjamin, Elijah, Lucas, Mason, Logan, Alexander, Ethan, Jacob, "
        "Michael, Daniel, Henry, Jackson, Aiden, Matthew, Samuel, David, Joseph, Carter, Owen, Wyatt, John, Jack, "
        "Luke, Jayden, Dylan, Grayson, Levi, Isaac, Gabriel, Julian, Anthony, Lincoln, Joshua, Christopher, Andrew, "
        "Theodore, Caleb, Ryan, Asher, Nathan, Thomas, Leo, Isaiah, Charles, Josiah, Hudson, Christian, Hunter, "
        "Connor, Eli, Ezra, Aaron, Landon, Adrian, Jonathan, Nolan, Jeremiah, Easton, Colton, Cameron, Carson, "
        "Robert, Nicholas, Dominic, Adam, Ian, Austin, Jordan, Cooper, Brayden, Roman, Evan, Xavier, Everett, "
        "Parker, Miles, Sawyer, Jason, Malik, Darius, Jamal, Andre, Marcus, Terrance, DeShawn, Jalen, Kendrick, "
        "Tristan, Bryce, Garrett, Wesley"
    ),
    last=_split(
        "Smith, Johnson, Williams, Brown, Jones, Miller, Davis, Wilson, Anderson, Taylor, Thomas, Moore, Jackson, "
        "Martin, Thompson, White, Harris, Clark, Lewis, Robinson, Walker, Young, Allen, King, Wright, Scott, Hill, "
        "Green, Adams, Baker, Nelson, Carter, Mitchell, Roberts, Turner, Phillips, Campbell, Parker, Evans, "
        "Edwards, Collins, Stewart, Morris, Rogers, Reed, Cook, Morgan, Bell, Murphy, Bailey, Cooper, Richardson, "
        "Cox, Howard, Ward, Peterson, Gray, Watson, Brooks, Kelly, Sanders, Price, Bennett, Wood, Barnes, Ross, "
        "Henderson, Coleman, Jenkins, Perry, Powell, Long, Patterson, Hughes, Washington, Butler, Simmons, Foster, "
        "Bryant, Russell, Griffin, Hayes, Myers, Ford, Hamilton, Graham, Sullivan, Wallace, West, Cole, Owens, "
        "Reynolds, Fisher, Ellis, Harrison, Gibson, McDonald, Marshall, Murray, Freeman, Wells, Webb, Simpson, "
        "Stevens, Tucker, Porter, Hicks, Crawford, Boyd, Mason, Kennedy, Warren, Dixon, Burns, Gordon, Shaw, "
        "Holmes, Rice, Hunt, Black, Daniels, Palmer, Mills, Grant, Knight, Ferguson, Stone, Hawkins, Dunn, Perkins, "
        "Spencer, Pierce, Wagner, Schmidt, Kowalski, Nowak, Russo, Esposito, Romano, O'Brien, Lombardi, Greco, "
        "McCarthy, O'Connor, Flanagan, Whitaker, Blevins, Hensley, Tipton, Cantrell, Ogle, Sexton, Lowe, McMahan"
    ),
)
HISPANIC = NamePool(
    female=_split(
        "Sofía, Valentina, Camila, Isabella, Ximena, Lucía, Daniela, Mariana, Gabriela, Valeria, Natalia, Victoria, "
        "Renata, Fernanda, Andrea, Paula, Regina, Alejandra, Jimena, Guadalupe, Esmeralda, Yesenia, Marisol, "
        "Araceli, Itzel, Brenda, Karla, Leslie, Jennifer, Jocelyn, Kimberly, Daisy, Génesis, Abril, Luciana, "
        "Emily, Allison, Melanie, Dulce, María José"
    ),
    male=_split(
        "Santiago, Mateo, Sebastián, Leonardo, Matías, Diego, Daniel, Alejandro, Emiliano, Nicolás, José, Luis, "
        "Juan, Carlos, Miguel, Ángel, Jesús, Jorge, Fernando, Eduardo, Adrián, Javier, Ricardo, Francisco, "
        "Manuel, Héctor, Iker, Gael, Bryan, Kevin, Christopher, Anthony, Jonathan, Brandon, Joshua, Axel, Alexis, "
        "Julián, Rodrigo, Andrés"
    ),
    last=_split(
        "García, Rodríguez, Martínez, Hernández, López, González, Pérez, Sánchez, Ramírez, Torres, Flores, "
        "Rivera, "
        "Gómez, Díaz, Cruz, Morales, Reyes, Gutiérrez, Ortiz, Chávez, Ramos, Ruiz, Mendoza, Álvarez, Castillo, "
        "Jiménez, Vásquez, Romero, Herrera, Medina, Aguilar, Vargas, Guzmán, Salazar, Muñoz, Rojas, Contreras, "
        "Domínguez, Estrada, Navarro, Delgado, Sandoval, Cervantes, Ochoa, Villanueva, Ibarra, Fuentes, Cabrera, "
        "Espinoza, Zamora"
    ),
)
KOREAN = NamePool(
    female=_split("Seo-yeon, Ji-woo, Ha-eun, Min-seo, Soo-ah, Ji-yoo, Yuna, Chae-won, Da-eun, Eun-ji, Hye-jin, Su-bin"),
    male=_split(
        "Min-jun, Seo-jun, Do-yoon, Ye-jun, Si-woo, Ha-joon, Ji-ho, Joon-young, Hyun-woo, Jae-won, Dong-hyun, Tae-yang"
    ),
    last=_split(
        "Kim, Lee, Park, Choi, Jung, Kang, Cho, Yoon, Jang, Lim, Han, Oh, Seo, Shin, Kwon, Hwang, Ahn, Song, Yoo, Hong"
    ),
)
CHINESE = NamePool(
    female=_split("Mei, Xinyi, Yutong, Zihan, Yuxi, Jiayi, Ruoxi, Wen, Lin, Hui, Ka-ling, Hoi-yan, Wing"),
    male=_split("Hao, Yichen, Zihao, Junjie, Haoran, Yuxuan, Wei, Jun, Ming, Zhiyuan, Tianyu, Ka-ho, Chun-kit"),
    last=_split(
        "Wang, Li, Zhang, Liu, Chen, Yang, Huang, Zhao, Wu, Zhou, Xu, Sun, Ma, Zhu, Hu, Guo, Lin, He, "
        "Gao, Luo, Wong, Chan, Leung, Lam, Cheung, Ng"
    ),
)
VIETNAMESE = NamePool(
    female=_split("Linh, Ngọc, Thảo, Anh, Mai, Trang, Hương, Vy, Nhi, Khánh, Thu, Hà"),
    male=_split("Minh, Huy, Khoa, Bảo, Đức, Tuấn, Quang, Long, Phúc, Nam, Hiếu, Khang"),
    last=_split("Nguyễn, Trần, Lê, Phạm, Hoàng, Phan, Vũ, Đặng, Bùi, Đỗ, Hồ, Ngô, Dương, Lý"),
)
FILIPINO = NamePool(
    female=_split(
        "Angelica, Kristine, Princess, Jasmine, Althea, Bea, Andrea, Nicole, Czarina, Mary Grace, Maricel, Joy"
    ),
    male=_split(
        "Mark Anthony, John Paul, Jerome, Carlo, Paolo, Miguel, Rafael, Joshua, Christian, Angelo, Jericho, Emmanuel"
    ),
    last=_split(
        "Santos, Reyes, Cruz, Bautista, Ocampo, Garcia, Mendoza, Torres, Villanueva, Ramos, Aquino, "
        "Dela Cruz, Navarro, Castillo, Manalo, Domingo, Pascual, Soriano"
    ),
)
ARMENIAN = NamePool(
    female=_split("Ani, Anahit, Mariam, Nare, Lilit, Arpi, Tatev, Sona, Gayane, Lusine, Nairi, Talin"),
    male=_split("Aram, Armen, Davit, Hayk, Tigran, Narek, Gevorg, Aren, Vahe, Levon, Raffi, Sevak"),
    last=_split(
        "Petrosyan, Hakobyan, Sargsyan, Grigoryan, Harutyunyan, Khachatryan, Karapetyan, Gevorgyan, "
        "Avetisyan, Mkrtchyan, Hovhannisyan, Vardanyan, Manukyan, Ghazaryan, Babayan, Sarkisian, "
        "Kazarian, Derderian"
    ),
)
RUSSIAN = NamePool(
    female=_split("Anastasia, Sofia, Maria, Daria, Polina, Alina, Ekaterina, Viktoria, Ksenia, Yulia, Vera, Oksana"),
    male=_split("Alexander, Dmitri, Maxim, Ivan, Artyom, Mikhail, Nikita, Kirill, Andrei, Sergei, Pavel, Yaroslav"),
    last=_split(
        "Ivanov, Smirnov, Kuznetsov, Popov, Vasiliev, Petrov, Sokolov, Mikhailov, Novikov, Fedorov, "
        "Morozov, Volkov, Orlov, Lebedev, Kovalenko, Bondarenko, Shevchenko, Tkachenko"
    ),
    feminine_last=True,
)
ARABIC = NamePool(
    female=_split("Fatima, Mariam, Layla, Noor, Aisha, Yasmin, Huda, Salma, Zainab, Amira, Hana, Rania"),
    male=_split("Mohammed, Ahmed, Omar, Ali, Yousef, Khalid, Hassan, Ibrahim, Karim, Adam, Mustafa, Tariq"),
    last=_split(
        "Haddad, Nasser, Khalil, Saleh, Hamdan, Mansour, Abboud, Darwish, Farah, Hussein, Jaber, "
        "Mahmoud, Qasim, Rahman, Sabbagh, Shaheen, Youssef, Al-Amin, Bakr"
    ),
)
HAITIAN = NamePool(
    female=_split("Nadège, Mirlande, Wideline, Fabienne, Roseline, Guerline, Daphnée, Stéphanie, Naïka, Bethanie"),
    male=_split("Jean, Wilner, Frantz, Jean-Pierre, Fritznel, Ricardo, Stanley, Widlin, Kervens, Jameson"),
    last=_split(
        "Joseph, Pierre, Jean-Louis, Charles, Louis, Baptiste, Desir, François, Célestin, Dorvil, "
        "Étienne, Toussaint, Valcourt"
    ),
)
OTHER = NamePool(  # Somali, Nepali/Bhutanese, Bosnian: communities the four regions resettled
    female=_split("Hodan, Ayaan, Fadumo, Sabina, Amina, Sita, Anjali, Selma, Lejla, Pema, Asha, Emina"),
    male=_split("Abdi, Mohamed, Hamza, Bishal, Suraj, Emir, Adnan, Tenzin, Liban, Dzenan, Prakash, Faisal"),
    last=_split(
        "Abdullahi, Warsame, Farah, Omar, Gurung, Tamang, Rai, Hodžić, Begić, Kovačević, Mahamed, Thapa, Adan, Subedi"
    ),
)
POOL_BY_LANGUAGE = {
    "en": GENERAL,
    "es": HISPANIC,
    "ko": KOREAN,
    "zh-hans": CHINESE,
    "zh-hant": CHINESE,
    "vi": VIETNAMESE,
    "tl": FILIPINO,
    "hy": ARMENIAN,
    "ru": RUSSIAN,
    "ar": ARABIC,
    "ht": HAITIAN,
    "other": OTHER,
}
ASIAN_POOLS = (KOREAN, CHINESE, VIETNAMESE, FILIPINO)
ADULT = NamePool(  # guardians of English-speaking homes: names of parents' generation
    female=_split(
        "Jennifer, Jessica, Amanda, Sarah, Melissa, Nicole, Stephanie, Heather, Elizabeth, Amy, "
        "Rebecca, Crystal, Michelle, Tiffany, Rachel, Kimberly, Lisa, Angela, Erin, Laura, Tanisha, "
        "Latoya, Keisha, Ebony, Brittany, Megan, Danielle, Courtney"
    ),
    male=_split(
        "Michael, Christopher, Matthew, Joshua, David, James, Daniel, Robert, John, Joseph, Jason, "
        "Justin, Andrew, Ryan, William, Brian, Brandon, Jonathan, Kevin, Eric, Marcus, Terrell, Derrick, "
        "Jamal, Travis, Dustin, Cody, Jeremy"
    ),
    last=GENERAL.last,
)
ADULT_HISPANIC = NamePool(
    female=_split("María, Guadalupe, Rosa, Ana, Verónica, Claudia, Leticia, Patricia, Adriana, Elena, Silvia, Maribel"),
    male=_split("José, Juan, Luis, Jorge, Carlos, Francisco, Miguel, Jesús, Ramón, Roberto, Alfredo, Raúl"),
    last=HISPANIC.last,
)
NICKNAMES = {
    "Alexander": "Alex",
    "Elizabeth": "Liz",
    "Benjamin": "Ben",
    "Nicholas": "Nick",
    "Katherine": "Kate",
    "Christopher": "Chris",
    "Matthew": "Matt",
    "Samuel": "Sam",
    "Theodore": "Teddy",
    "Margaret": "Maggie",
    "Josephine": "Josie",
    "Gabriel": "Gabe",
    "Jonathan": "Jon",
    "William": "Will",
    "Abigail": "Abby",
    "Alexandra": "Sasha",
    "Anastasia": "Nastya",
    "Francisco": "Paco",
    "Guadalupe": "Lupe",
    "Mohammed": "Mo",
    "Ekaterina": "Katya",
    "Mark Anthony": "Mark",
    "John Paul": "JP",
    "María José": "Majo",
}
ENGLISH_NAMES_FOR_PREFERRED = _split("Kevin, Grace, Daniel, Lily, Eric, Sarah, Jason, Amy, Andy, Annie, Tony, Emily")

STREETS = _split(
    "Maple Street, Oak Avenue, Ridge Road, Creekside Drive, Hillcrest Lane, Church Street, Mill Road, "
    "Sunset Boulevard, Park Avenue, Valley View Drive, Cherry Lane, Walnut Street, Lakeview Court, Spring Street, "
    "Meadow Lane, Forest Drive, Highland Avenue, River Road, Orchard Way, Cedar Court, Willow Bend, Pine Street, "
    "Elm Street, Main Street, College Avenue, Magnolia Drive, Harbor Street, Mission Road, Vista Lane, "
    "Canyon Drive"
)
GENDERS = (("F", 49.0), ("M", 49.5), ("X", 1.0), ("U", 0.5))


# --- Plans: what build_district produces ----------------------------------------------------


@dataclass
class StaffRow:
    username: str
    role: str
    first_name: str
    last_name: str
    schools: list[str] = field(default_factory=list)  # school codes
    grade: int | None = None  # a teacher's grade
    caseload: list[str] = field(default_factory=list)  # a specialist's local ids
    is_login: bool = False

    @property
    def email(self) -> str:
        return f"{self.username}@{DEMO_EMAIL_DOMAIN}"


@dataclass(slots=True)
class GuardianRow:
    first_name: str
    last_name: str
    relationship: str
    preferred_language: str
    email: str
    phone: str
    address_line1: str
    address_line2: str
    city: str
    postal_code: str
    receives_notices: bool
    lives_with_student: bool


@dataclass(slots=True)
class EnrollmentRow:
    year: str
    school: str
    grade: int
    start_date: date
    end_date: date | None


@dataclass(slots=True)
class PlacementRow:
    area: str
    tier: int
    start_date: date
    end_date: date | None
    reason: str


@dataclass(slots=True)
class StudentRow:
    local_id: str
    state_id: str
    school: str
    grade: int
    first_name: str
    middle_name: str
    last_name: str
    preferred_name: str
    birth_date: date
    gender: str
    race_ethnicity: str
    home_language: str
    entry_date: date
    flags: dict
    risk: dict  # area -> latent risk (higher = more at risk)
    guardians: list = field(default_factory=list)
    enrollments: list = field(default_factory=list)
    placements: list = field(default_factory=list)

    def open_tier(self, area: str | None = None) -> int:
        tiers = [p.tier for p in self.placements if p.end_date is None and (area is None or p.area == area)]
        return max(tiers, default=1)


@dataclass
class DistrictPlan:
    spec: DistrictSpec
    seed: int
    schools: list[SchoolTemplate]
    staff: list[StaffRow]
    students: list[StudentRow]
    principal_of: dict  # school code -> principal username

    def logins(self) -> list[StaffRow]:
        return [row for row in self.staff if row.is_login]


# --- Pure building ----------------------------------------------------------------------------


class _Picker:
    """Weighted choice with precomputed cumulative weights (fast for 50,000 draws)."""

    def __init__(self, pairs):
        self.values = [value for value, _ in pairs]
        self.cum = list(accumulate(weight for _, weight in pairs))

    def __call__(self, rng: random.Random):
        return self.values[bisect_right(self.cum, rng.random() * self.cum[-1])]


@lru_cache(maxsize=4096)
def _ascii(text: str) -> str:
    flat = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in flat.lower() if ch.isalnum())


def _chance(rng: random.Random, p: float) -> bool:
    return rng.random() < p


def school_list(spec: DistrictSpec, n_students: int) -> list[SchoolTemplate]:
    """The district's schools; one more per ~400 students when scaled up."""
    schools = list(spec.schools)
    wanted = max(len(schools), math.ceil(n_students / STUDENTS_PER_SCHOOL))
    places = [f"{a} {b}" for b in PLACES_B for a in PLACES_A]
    i = 0
    while len(schools) < wanted:
        template = spec.schools[i % len(spec.schools)]
        place = places[i % len(places)]
        if i >= len(places):
            place = f"{place} {i // len(places) + 1}"
        kind = SCHOOL_KINDS.get((template.grade_low, template.grade_high), "School")
        name = spec.extra_school_name.format(place=place, kind=kind)
        schools.append(SchoolTemplate(name, f"{spec.id_prefix}-{1000 + i}", template.grade_low, template.grade_high))
        i += 1
    return schools


def _pool_for(rng: random.Random, language: str, race: str) -> NamePool:
    if language != "en":
        return POOL_BY_LANGUAGE[language]
    if race == "hispanic":
        return HISPANIC
    if race == "asian":
        return ASIAN_POOLS[rng.randrange(len(ASIAN_POOLS))]
    return GENERAL


def _race_for(rng: random.Random, language: str, english_races: _Picker) -> str:
    roll = rng.random()
    if language == "es":
        return "hispanic" if roll < 0.95 else ("white" if roll < 0.98 else "two_or_more")
    if language in ("ko", "zh-hans", "zh-hant", "vi", "tl"):
        return "asian" if roll < 0.95 else "two_or_more"
    if language in ("hy", "ru"):
        return "white" if roll < 0.97 else "two_or_more"
    if language == "ar":
        return "white" if roll < 0.85 else ("black" if roll < 0.95 else "two_or_more")
    if language == "ht":
        return "black"
    if language == "other":
        return "black" if roll < 0.4 else ("asian" if roll < 0.75 else "white")
    return english_races(rng)


def _person(rng: random.Random, pool: NamePool, gender: str, english_first: float = 0.0) -> tuple[str, str]:
    female = gender == "F" or (gender in ("X", "U") and rng.random() < 0.5)
    first_pool = GENERAL if english_first and rng.random() < english_first else pool
    first = rng.choice(first_pool.female if female else first_pool.male)
    last = rng.choice(pool.last)
    if pool.feminine_last and female and last.endswith(("ov", "ev", "in")):
        last += "a"
    return first, last


def _birth_date(rng: random.Random, grade: int, year_start: date) -> date:
    # Age on September 1 is grade + 5 (kindergarten: 5); a few were held back a year.
    age = grade + 5 + (1 if rng.random() < 0.03 else 0)
    earliest = date(year_start.year - age - 1, 9, 2)
    return earliest + timedelta(days=rng.randrange(365))


def _state_id(rng: random.Random, state: str) -> str:
    if state == "OH":  # Ohio SSIDs: two letters and seven digits
        return "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(2)) + f"{rng.randrange(10**7):07d}"
    digits = 9 if state == "TN" else 10
    return str(rng.randrange(10 ** (digits - 1), 10**digits))


def _phone(rng: random.Random, spec: DistrictSpec) -> str:
    # 555-0100..0199 is reserved for fictional use.
    return f"({rng.choice(spec.area_codes)}) 555-01{rng.randrange(100):02d}"


def _address(rng: random.Random, spec: DistrictSpec) -> tuple[str, str, str, str]:
    city, zip_code = spec.cities[rng.randrange(len(spec.cities))]
    line1 = f"{rng.randrange(100, 9900)} {rng.choice(STREETS)}"
    line2 = f"Apt {rng.randrange(1, 40)}{rng.choice('ABCD')}" if rng.random() < 0.2 else ""
    return line1, line2, city, zip_code


def _guardians(rng: random.Random, spec: DistrictSpec, student: StudentRow, serial: int) -> list[GuardianRow]:
    language = student.home_language
    hispanic = language == "es" or student.race_ethnicity == "hispanic"
    adult_pool = ADULT_HISPANIC if hispanic else (ADULT if language == "en" else POOL_BY_LANGUAGE[language])
    home = _address(rng, spec)
    if student.flags["foster"]:
        relations = ["foster_parent"]
    else:
        roll = rng.random()
        first = (
            "mother"
            if roll < 0.55
            else "father"
            if roll < 0.78
            else "grandparent"
            if roll < 0.87
            else "guardian"
            if roll < 0.94
            else "relative"
            if roll < 0.97
            else "parent"
        )
        relations = [first]
        if first in ("mother", "father", "parent") and rng.random() < 0.6:
            relations.append({"mother": "father", "father": "mother"}.get(first, "parent"))
    rows = []
    for i, relation in enumerate(relations):
        gender = "F" if relation == "mother" else "M" if relation == "father" else rng.choice("FM")
        first, last = _person(rng, adult_pool, gender)
        if relation in ("mother", "father", "parent") and rng.random() < 0.8:
            last = student.last_name
        if language == "en":
            preferred = "en"
        else:
            preferred = language if rng.random() < (0.92 if i == 0 else 0.75) else "en"
        lives_with = i == 0 or rng.random() < 0.8
        line1, line2, city, zip_code = home if lives_with else _address(rng, spec)
        email = ""
        if rng.random() < 0.85:
            domain = ("example.com", "example.net", "example.org")[rng.randrange(3)]
            email = f"{_ascii(first)}.{_ascii(last)}{serial % 1000 + i}@{domain}"
        rows.append(
            GuardianRow(
                first_name=first,
                last_name=last,
                relationship=relation,
                preferred_language=preferred,
                email=email,
                phone=_phone(rng, spec),
                address_line1=line1,
                address_line2=line2,
                city=city,
                postal_code=zip_code,
                receives_notices=i == 0 or (lives_with and rng.random() < 0.9) or rng.random() < 0.5,
                lives_with_student=lives_with,
            )
        )
    return rows


def _flags(rng: random.Random, spec: DistrictSpec, language: str, race: str, grade: int) -> dict:
    rates = spec.rates
    if language != "en":
        el_rate = spec.el_rate * (1.25 if grade <= 5 else 0.8 if grade >= 9 else 1.0)
    else:
        el_rate = 0.005
    el = _chance(rng, min(el_rate, 0.95))
    sel = False
    if spec.standard_english_learners and not el and language == "en":
        sel = _chance(
            rng, {"black": 0.55, "hispanic": 0.3, "pacific_islander": 0.3, "american_indian": 0.3}.get(race, 0.05)
        )
    swd = _chance(rng, rates["disability_iep"])
    s504 = not swd and _chance(rng, rates["section_504"] / (1 - rates["disability_iep"]))
    homeless = _chance(rng, rates["homeless"])
    foster = _chance(rng, rates["foster"])
    sed = homeless or foster or _chance(rng, max(rates["socioeconomically_disadvantaged"], 0.85 if el else 0))
    gifted = _chance(rng, rates["gifted"] * (0.3 if swd else 0.4 if el else 1.0))
    return {
        "english_learner": el,
        "standard_english_learner": sel,
        "disability_iep": swd,
        "section_504": s504,
        "foster": foster,
        "homeless": homeless,
        "socioeconomically_disadvantaged": sed,
        "gifted": gifted,
    }


def _previous_school(
    rng: random.Random, schools: list[SchoolTemplate], current: SchoolTemplate, grade: int
) -> SchoolTemplate | None:
    if current.grade_low <= grade <= current.grade_high:
        return current
    feeders = [s for s in schools if s.grade_low <= grade <= s.grade_high]
    return feeders[rng.randrange(len(feeders))] if feeders else None


def _season(day: date) -> str:
    return "Fall" if day.month in (8, 9, 10, 11) else "Winter" if day.month in (12, 1, 2) else "Spring"


def _place_tiers(rng: random.Random, spec: DistrictSpec, students: list[StudentRow]) -> None:
    """Rank students by latent risk in each area: the top 5% Tier 3, the next 15% Tier 2.

    This gives every demo district the 80/15/5 shape of a working MTSS; a few
    students carry history (a Tier 2 placement that preceded Tier 3, or one
    that ended last year when the student met the goal).
    """
    (_current_name, start, _end), (_prev_name, prev_start, prev_end) = spec.years[0], spec.years[1]
    for area, tier2_share, tier3_share in spec.areas:
        ranked = sorted(students, key=lambda s: -s.risk[area])
        n3 = round(len(ranked) * tier3_share)
        n2 = round(len(ranked) * tier2_share)
        screening = spec.screening[area]
        for rank, student in enumerate(ranked):
            has_history = len(student.enrollments) > 1
            tier = 3 if rank < n3 else 2 if rank < n3 + n2 else 1
            # After the fall screening window (or soon after a late arrival's screening).
            fall = max(start + timedelta(days=rng.randrange(35, 65)), student.entry_date + timedelta(days=10))
            if tier == 3:
                if spec.top_tier == 4 and student.flags["disability_iep"] and rng.random() < 0.5:
                    student.placements.append(
                        PlacementRow(
                            area, 4, fall, None, "Referred to the Committee on Special Education; IEP services (Tier 4)"
                        )
                    )
                    continue
                if has_history and rng.random() < 0.4:
                    earlier = prev_start + timedelta(days=rng.randrange(40, 200))
                    student.placements.append(
                        PlacementRow(
                            area, 2, earlier, fall - timedelta(days=1), f"{_season(earlier)} {earlier.year} {screening}"
                        )
                    )
                    reason = "Not responding to Tier 2 (level and rate of improvement below criterion)"
                else:
                    reason = f"{_season(fall)} {fall.year} {screening}, well below"
                student.placements.append(PlacementRow(area, 3, fall, None, reason))
            elif tier == 2:
                begun = fall
                if has_history and rng.random() < 0.35:  # continuing from last year
                    begun = prev_start + timedelta(days=rng.randrange(40, 200))
                reason = f"{_season(begun)} {begun.year} {screening}"
                student.placements.append(PlacementRow(area, 2, begun, None, reason))
            elif has_history and rng.random() < 0.05:  # exited last year: met the goal
                begun = prev_start + timedelta(days=rng.randrange(40, 120))
                ended = min(begun + timedelta(days=rng.randrange(70, 160)), prev_end)
                reason = f"{_season(begun)} {begun.year} {screening}"
                student.placements.append(PlacementRow(area, 2, begun, ended, reason))


def _build_students(rng: random.Random, spec: DistrictSpec, schools: list[SchoolTemplate], n: int) -> list[StudentRow]:
    (current_year, start, _end), (previous_year, prev_start, prev_end) = spec.years[0], spec.years[1]
    school_pick = _Picker([(s, s.grade_high - s.grade_low + 1) for s in schools])
    language_pick = _Picker(spec.languages)
    race_pick = _Picker(spec.english_home_races)
    gender_pick = _Picker(GENDERS)
    lowest_grade = min(s.grade_low for s in schools)
    area_names = [area for area, _, _ in spec.areas]
    students = []
    for i in range(n):
        school = school_pick(rng)
        grade = rng.randint(school.grade_low, school.grade_high)
        language = language_pick(rng)
        race = _race_for(rng, language, race_pick)
        gender = gender_pick(rng)
        pool = _pool_for(rng, language, race)
        english_first = 0.5 if (language == "en" and pool is not GENERAL) else 0.0
        first, last = _person(rng, pool, gender, english_first)
        middle = ""
        if rng.random() < 0.55:
            middle, _ = _person(rng, pool if rng.random() < 0.7 else GENERAL, gender)
            if middle == first:
                middle = ""
        preferred = ""
        if first in NICKNAMES and rng.random() < 0.4:
            preferred = NICKNAMES[first]
        elif pool in ASIAN_POOLS and language != "tl" and rng.random() < 0.25:
            preferred = rng.choice(ENGLISH_NAMES_FOR_PREFERRED)
        flags = _flags(rng, spec, language, race, grade)
        general = (
            rng.gauss(0, 1)
            + 0.9 * flags["disability_iep"]
            + 0.5 * flags["english_learner"]
            + 0.3 * flags["socioeconomically_disadvantaged"]
            + 0.3 * flags["homeless"]
            - 1.2 * flags["gifted"]
        )
        risk = {area: 0.7 * general + 0.7 * rng.gauss(0, 1) for area in area_names}

        previous = None
        if grade - 1 >= lowest_grade and rng.random() < 0.88:
            previous = _previous_school(rng, schools, school, grade - 1)
        if previous is not None:
            years_here = rng.randint(2, max(2, min(grade - lowest_grade + 1, 9)))
            entry = date(start.year - years_here + 1, start.month, start.day)
        elif rng.random() < 0.07:  # arrived during the fall
            entry = start + timedelta(days=rng.randrange(14, 75))
        else:
            entry = start
        student = StudentRow(
            local_id=f"{spec.id_prefix}{100001 + i}",
            state_id=_state_id(rng, spec.state),
            school=school.code,
            grade=grade,
            first_name=first,
            middle_name=middle,
            last_name=last,
            preferred_name=preferred,
            birth_date=_birth_date(rng, grade, start),
            gender=gender,
            race_ethnicity=race,
            home_language=language,
            entry_date=entry,
            flags=flags,
            risk=risk,
        )
        student.enrollments.append(EnrollmentRow(current_year, school.code, grade, max(start, entry), None))
        if previous is not None:
            student.enrollments.append(EnrollmentRow(previous_year, previous.code, grade - 1, prev_start, prev_end))
        student.guardians = _guardians(rng, spec, student, i)
        students.append(student)
    return students


def _staff_name(rng: random.Random, spec: DistrictSpec, language_pick: _Picker) -> tuple[str, str]:
    gender = "F" if rng.random() < 0.7 else "M"  # most school staff are women
    if rng.random() < spec.staff_languages:
        language = language_pick(rng)
        pool = ADULT_HISPANIC if language == "es" else POOL_BY_LANGUAGE[language]
        return _person(rng, pool, gender, english_first=0.3)
    return _person(rng, ADULT, gender)


def _build_staff(
    rng: random.Random, spec: DistrictSpec, schools: list[SchoolTemplate], students: list[StudentRow]
) -> tuple[list[StaffRow], dict]:
    language_pick = _Picker(spec.languages)
    counters: dict[str, int] = {}
    staff: list[StaffRow] = []

    def add(role: str, schools_: list[str], *, main: bool, **extra) -> StaffRow:
        base = f"{SHORT[role]}.{spec.suffix}"
        if main:
            username = base
        else:
            counters[role] = counters.get(role, 1) + 1
            username = f"{base}.{counters[role]:03d}"
        first, last = _staff_name(rng, spec, language_pick)
        row = StaffRow(username, role, first, last, list(schools_), is_login=main, **extra)
        staff.append(row)
        return row

    codes = [s.code for s in schools]
    add(Role.DISTRICT_ADMIN, [], main=True)
    add(Role.READ_ONLY, codes, main=True)
    principal_of = {}
    for i, school in enumerate(schools):
        principal_of[school.code] = add(Role.PRINCIPAL, [school.code], main=i == 0).username

    # Teachers: one per grade and school; teacher.<suffix> teaches the spec's grade.
    by_class: dict[tuple[str, int], list[str]] = {}
    for student in students:
        by_class.setdefault((student.school, student.grade), []).append(student.local_id)
    classes = [(s.code, g) for s in schools for g in range(s.grade_low, s.grade_high + 1) if (s.code, g) in by_class]
    main_class = next((c for c in classes if c[1] == spec.teacher_grade), classes[0] if classes else None)
    if main_class:
        classes.remove(main_class)
        classes.insert(0, main_class)
    for i, (code, grade) in enumerate(classes):
        add(Role.TEACHER, [code], main=i == 0, grade=grade)

    # Specialists: caseloads of ~40-60 students, packing the flagged (Tier 2+)
    # students school by school; topped up with the next most at-risk students
    # of the same schools (watched at Tier 1).
    flagged: dict[str, list[StudentRow]] = {}
    for student in students:
        if student.open_tier() >= 2:
            flagged.setdefault(student.school, []).append(student)
    caseloads: list[tuple[list[str], list[StudentRow]]] = []
    current_schools: list[str] = []
    current: list[StudentRow] = []
    target = rng.randint(45, 55)
    for school in schools:
        for student in sorted(flagged.get(school.code, []), key=lambda s: -max(s.risk.values())):
            if not current_schools or current_schools[-1] != school.code:
                current_schools.append(school.code)
            current.append(student)
            if len(current) >= target:
                caseloads.append((current_schools, current))
                current_schools, current, target = [], [], rng.randint(45, 55)
    if current:
        if caseloads and len(current) < 15:
            last_schools, last_students = caseloads[-1]
            last_schools.extend(c for c in current_schools if c not in last_schools)
            last_students.extend(current)
        else:
            caseloads.append((current_schools, current))
    if not caseloads:
        caseloads.append(([], []))
    covered = {code for school_codes, _ in caseloads for code in school_codes}
    caseloads[-1][0].extend(code for code in codes if code not in covered)
    assigned = {s.local_id for _, members in caseloads for s in members}
    by_school: dict[str, list[StudentRow]] = {}
    for student in students:
        if student.local_id not in assigned:
            by_school.setdefault(student.school, []).append(student)
    for school_codes, members in caseloads:
        want = rng.randint(40, 50)
        if len(members) < want:
            watch = sorted(
                (s for code in school_codes for s in by_school.get(code, [])), key=lambda s: -max(s.risk.values())
            )
            for student in watch:
                if len(members) >= want:
                    break
                if student.local_id not in assigned:
                    members.append(student)
                    assigned.add(student.local_id)
    for i, (school_codes, members) in enumerate(caseloads):
        add(Role.INTERVENTION_SPECIALIST, school_codes, main=i == 0, caseload=[s.local_id for s in members])

    for i in range(0, len(codes), 4):
        add(Role.PSYCHOLOGIST, codes[i : i + 4], main=i == 0)
    for i in range(0, len(codes), 2):
        add(Role.COUNSELOR, codes[i : i + 2], main=i == 0)
    return staff, principal_of


def build_district(spec: DistrictSpec, n_students: int, seed: int = DEFAULT_SEED) -> DistrictPlan:
    """Everything one demo district will hold, as plain rows. Pure and deterministic."""
    rng = random.Random(f"{seed}:{spec.slug}:students")
    schools = school_list(spec, n_students)
    students = _build_students(rng, spec, schools, n_students)
    _place_tiers(random.Random(f"{seed}:{spec.slug}:tiers"), spec, students)
    staff, principal_of = _build_staff(random.Random(f"{seed}:{spec.slug}:staff"), spec, schools, students)
    return DistrictPlan(spec, seed, schools, staff, students, principal_of)


def login_table() -> list[dict]:
    """The demo logins: one per role and district (demo data only)."""
    return [
        {
            "username": f"{short}.{spec.suffix}",
            "role": str(role.label),
            "district": spec.name,
            "password": DEMO_PASSWORD,
        }
        for spec in SPECS
        for role, short in ROLE_LOGINS
    ]


# --- Writing -----------------------------------------------------------------------------------


def _purge(district: District) -> None:
    """Delete one demo district's rows (inside its tenant context), keeping the District.

    Foreign keys are deferred (PostgreSQL and SQLite), so table order does not
    matter within the transaction. Append-only tables (the FERPA access log)
    are kept: the application role may not delete from them, and they
    reference only the district and users, which stay.
    """
    models = district_models()
    # Auto-created many-to-many tables have no district column (a PDSA cycle's interventions and
    # groups): delete their rows first through the owning side, or the deferred keys fail at commit.
    for model in models:
        for m2m in model._meta.local_many_to_many:
            through = m2m.remote_field.through
            if through._meta.auto_created and through not in models:
                through._base_manager.filter(**{f"{m2m.m2m_field_name()}__district_id": district.pk}).delete()
    for model in models:
        if model._meta.db_table in APPEND_ONLY:
            continue
        model._base_manager.filter(district_id=district.pk)._raw_delete(model._base_manager.db)


def _users(plan: DistrictPlan, password_hash: str) -> dict[str, User]:
    wanted = {row.username: row for row in plan.staff}
    existing = {u.username: u for u in User.objects.filter(username__in=list(wanted))}
    for user in existing.values():
        if not user.email.endswith("@" + DEMO_EMAIL_DOMAIN):
            raise DemoError(f"User {user.username!r} exists and is not a demo account; refusing to take it over.")
        row = wanted[user.username]
        user.first_name, user.last_name = row.first_name, row.last_name
        user.password, user.is_active = password_hash, True
    User.objects.bulk_update(
        list(existing.values()), ["first_name", "last_name", "password", "is_active"], batch_size=BATCH
    )
    User.objects.bulk_create(
        [
            User(
                username=row.username,
                email=row.email,
                first_name=row.first_name,
                last_name=row.last_name,
                password=password_hash,
            )
            for name, row in wanted.items()
            if name not in existing
        ],
        batch_size=BATCH,
    )
    # Staff of an earlier, bigger build of this district that this one no longer has.
    User.objects.filter(
        email__endswith="@" + DEMO_EMAIL_DOMAIN, username__regex=rf"^[a-z]+\.{plan.spec.suffix}(\.[0-9]+)?$"
    ).exclude(username__in=list(wanted)).update(is_active=False)
    return {u.username: u for u in User.objects.filter(username__in=list(wanted))}


class _Steps:
    """Logs each step's seconds (verbosity 2) as the seed goes."""

    def __init__(self, log, *, started: float):
        self.log, self.last = log, started

    def __call__(self, label: str) -> None:
        now = time.monotonic()
        if self.log:
            self.log(f"  {now - self.last:7.1f} s  {label}")
        self.last = now


@dataclass
class Written:
    """What `write_schools` created and `write_district` points at."""

    users: dict[str, User]
    years: dict[str, SchoolYear]
    school: dict[str, School]


def write_schools(plan: DistrictPlan, district: District, *, password_hash: str) -> Written:
    """The district's years, schools and staff. Call inside a transaction of its own.

    Committed and analysed before the bulk rows (`seed_demo`): millions of rows point at the
    schools and staff, and the foreign-key checks at the bulk transaction's COMMIT are planned
    from those tables' statistics. At 400,000 students (1,000 schools) that COMMIT had not
    ended after 25 minutes, spending its time in sequential scans (perf); at small sizes
    pg_stat_user_tables shows a sequential scan of the schools and users tables per check,
    which is right for a handful of rows and not for 1,000 schools (issue 16).
    """
    spec = plan.spec
    users = _users(plan, password_hash)
    with tenant_context(district):
        years = {
            name: SchoolYear.objects.create(district=district, name=name, start_date=first, end_date=last)
            for name, first, last in spec.years
        }
        schools = copy_create(
            [
                School(
                    district=district,
                    name=t.name,
                    code=t.code,
                    grade_low=t.grade_low,
                    grade_high=t.grade_high,
                    address=f"{t.name}, {spec.cities[i % len(spec.cities)][0]}, {spec.state}",
                )
                for i, t in enumerate(plan.schools)
            ],
            batch_size=BATCH,
        )
        school = {s.code: s for s in schools}
        for s in schools:
            s.principal = users[plan.principal_of[s.code]]
        School.objects.bulk_update(schools, ["principal"], batch_size=BATCH)

        memberships = copy_create(
            [Membership(district=district, user=users[row.username], role=row.role) for row in plan.staff],
            batch_size=BATCH,
        )
        copy_create(
            [
                MembershipSchool(district=district, membership=m, school=school[code])
                for m, row in zip(memberships, plan.staff, strict=False)
                for code in row.schools
            ],
            batch_size=BATCH,
        )
    return Written(users=users, years=years, school=school)


def write_district(plan: DistrictPlan, district: District, *, written: Written, log=None) -> dict:
    """Bulk-write one plan into `district` (its schools and staff written). Call inside a transaction."""
    started = time.monotonic()
    spec = plan.spec
    users, years, school = written.users, written.years, written.school
    with tenant_context(district):
        students = copy_create(
            [
                Student(
                    district_id=district.pk,
                    school_id=school[r.school].pk,
                    local_id=r.local_id,
                    state_id=r.state_id,
                    first_name=r.first_name,
                    middle_name=r.middle_name,
                    last_name=r.last_name,
                    preferred_name=r.preferred_name,
                    birth_date=r.birth_date,
                    grade=r.grade,
                    gender=r.gender,
                    race_ethnicity=r.race_ethnicity,
                    home_language=r.home_language,
                    entry_date=r.entry_date,
                    **r.flags,
                )
                for r in plan.students
            ],
            batch_size=BATCH,
        )
        if any(s.pk is None for s in students):  # a backend that cannot return ids from bulk inserts
            ids = dict(Student.objects.filter(district=district).values_list("local_id", "pk"))
            for s in students:
                s.pk = ids[s.local_id]
        pairs = list(zip(students, plan.students, strict=False))

        copy_create(
            [
                Guardian(
                    district_id=district.pk,
                    student_id=s.pk,
                    state=spec.state,
                    **{f: getattr(g, f) for f in GuardianRow.__slots__},
                )
                for s, r in pairs
                for g in r.guardians
            ],
            batch_size=BATCH,
        )
        copy_create(
            [
                Enrollment(
                    district_id=district.pk,
                    student_id=s.pk,
                    school_id=school[e.school].pk,
                    school_year_id=years[e.year].pk,
                    grade=e.grade,
                    start_date=e.start_date,
                    end_date=e.end_date,
                )
                for s, r in pairs
                for e in r.enrollments
            ],
            batch_size=BATCH,
        )
        copy_create(
            [
                TierPlacement(
                    district_id=district.pk,
                    student_id=s.pk,
                    area=p.area,
                    tier=p.tier,
                    start_date=p.start_date,
                    end_date=p.end_date,
                    reason=p.reason,
                    decided_by_id=users[plan.principal_of[r.school]].pk,
                )
                for s, r in pairs
                for p in r.placements
            ],
            batch_size=BATCH,
        )

        # Teachers see their grade's students; specialists their caseload. These are
        # the rows students.services.student_grant_access writes, inserted at once:
        # the service checks each user's ids and existing grants (three queries a
        # user), which on a table filled earlier in this transaction means a
        # sequential scan per teacher, quadratic at 50,000 students. Here the
        # students were just created and nobody has a grant yet.
        view_student = next(p for p in get_perms_for_model(Student) if p.codename == VIEW_STUDENT)
        pk_of = {s.local_id: s.pk for s in students}
        by_class: dict[tuple[str, int], list[int]] = {}
        for s, r in pairs:
            by_class.setdefault((r.school, r.grade), []).append(s.pk)
        grants = []
        for row in plan.staff:
            if row.role == Role.TEACHER:
                ids = by_class.get((row.schools[0], row.grade), [])
            elif row.role == Role.INTERVENTION_SPECIALIST:
                ids = [pk_of[local_id] for local_id in row.caseload]
            else:
                continue
            user_id = users[row.username].pk
            grants.extend(
                StudentUserObjectPermission(
                    district_id=district.pk, user_id=user_id, permission=view_student, content_object_id=pk
                )
                for pk in sorted(set(ids))
            )
        copy_create(grants, batch_size=BATCH)

        counts = {
            "schools": len(school),
            "staff": len(plan.staff),
            "students": len(students),
            "guardians": sum(len(r.guardians) for r in plan.students),
            "enrollments": sum(len(r.enrollments) for r in plan.students),
            "placements": sum(len(r.placements) for r in plan.students),
            "grants": len(grants),
        }
        # The district's built-in policy preset, in force since the earlier school year
        # (kept if a version exists already: versions are never rewritten).
        if not PolicyVersion.objects.filter(district=district).exists():
            policy_version_create(
                district=district,
                actor=users[f"{SHORT[Role.DISTRICT_ADMIN]}.{spec.suffix}"],
                data=preset_data(spec.slug),
                effective_from=spec.years[-1][1],
                note="Demo district: the built-in preset.",
            )
        as_of = _as_of(spec)
        # Each step's time, for `seed_demo -v 2` (where the minutes go at 400,000 students).
        step = _Steps(log, started=started)
        step("students, guardians, enrollments, placements, grants")
        # The school calendar (breaks, holidays) before anything that counts school days.
        seed_calendars(district)
        # Groups, plans, a year to date of logged sessions and weekly probes.
        counts.update(seed_interventions(district=district, as_of=as_of))
        step("interventions: groups, plans, sessions, attendance, probes")
        counts.update(seed_screening(district=district, as_of=as_of))
        step("screening")
        # Check-in/check-out point cards for the behavior plans (demo/cico.py).
        counts.update(seed_point_cards(district=district, as_of=as_of))
        step("point cards")
        # Ohio's reading guarantee: determinations and RIMPs at each state (demo/reading.py).
        counts.update(seed_reading_guarantee(district=district, as_of=as_of))
        step("reading guarantee")
        # A year to date of attendance, behaviour incidents and grades (issue 17); the flags
        # are computed in `finish_district`, once these rows have statistics.
        counts.update(seed_early_warning_records(district=district, as_of=as_of))
        step("early warning records")
    return counts


def _as_of(spec: DistrictSpec) -> date:
    """The day the demo's school year runs to: today, or the end of the current year if sooner."""
    return min(timezone.localdate(), spec.years[0][2])


def finish_district(plan: DistrictPlan, district: District, *, counts: dict, log=None) -> dict:
    """What reads the bulk rows back: snapshots, the processes and stories, the early-warning
    flags. Call in a transaction after `write_district`'s has committed and the tables are
    analysed (`analyze_tables`): planned without statistics, the early-warning and process
    queries took minutes at 50,000 students (issue 16)."""
    spec = plan.spec
    as_of = _as_of(spec)
    step = _Steps(log, started=time.monotonic())
    with tenant_context(district):
        # The district dashboard's effectiveness snapshot (normally the nightly job). Imported
        # here: the reports need pandas, and `manage.py` start-up must not (issue 16, item 7).
        from reports.services import dashboard_refresh, evaluations_refresh

        evaluations_refresh(district=district)
        step("effectiveness snapshot")
        # Loudon's reviewed referral and LAUSD's PDSA cycle (issue 13, items 3 and 5).
        counts.update(seed_processes(district=district, slug=spec.slug, as_of=as_of))
        step("processes")
        # Each district's letters, made by its own steps through the services (demo/stories.py).
        counts.update(seed_stories(district=district, slug=spec.slug, as_of=as_of))
        step("stories (letters)")
        # The early-warning flags at each month's end and today (issue 17).
        counts.update(seed_early_warning_flags(district=district, as_of=as_of))
        step("early warning flags")
        # The district dashboard's counts (normally the nightly job), last: every placement,
        # score and student above is in them.
        dashboard_refresh(district=district)
        step("dashboard counts")
        audit(district=district, actor=None, verb="demo.seed", obj=district, changes={"seed": plan.seed, **counts})
    return counts


def analyze_tables(log=None) -> None:
    """Give the planner statistics for the rows just written (PostgreSQL).

    Autovacuum analyses a table only after the writing transaction commits, and some
    minutes later; the seed's next steps read millions of fresh rows at once. ANALYZE
    needs the tables' owner (PostgreSQL 15), so it runs on an owner connection
    (MIGRATE_DATABASE_URL; a set-up that logs in as the owner uses that login). Skipped
    inside an enclosing transaction (a test), where the rows are not committed yet.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    started = time.monotonic()
    with owner_mode(), connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    if log:
        log(f"  {time.monotonic() - started:7.1f} s  analyze")


# --- The command's entry point -------------------------------------------------------------------


@dataclass
class DistrictResult:
    slug: str
    name: str
    action: str  # created, rebuilt or kept
    counts: dict
    seconds: float


def _student_count(district: District) -> int:
    with tenant_context(district):
        return Student.objects.filter(district=district).count()


def seed_demo(
    *,
    sizes: dict[str, int] | None = None,
    scale: float = 1.0,
    reset: bool = False,
    seed: int = DEFAULT_SEED,
    log=None,
    only: bool = False,
    verbose_steps: bool = False,
) -> list[DistrictResult]:
    """Create the four demo districts; leave existing ones alone unless `reset`.

    `sizes` maps a district slug to an exact student count (`--students`);
    other districts get their default size times `scale`. With `only`, just the
    districts named in `sizes` are touched (benchmarks seed one district).
    """
    sizes = dict(sizes or {})
    unknown = set(sizes) - set(SPEC_BY_SLUG)
    if unknown:
        raise DemoError(f"Unknown demo district(s): {', '.join(sorted(unknown))}")
    # Decide everything before writing anything.
    todo = []
    for spec in SPECS:
        if only and spec.slug not in sizes:
            continue
        n = sizes.get(spec.slug) or max(1, round(spec.default_students * scale))
        district = District.objects.filter(slug=spec.slug).first()
        if district is not None and not district.name.endswith(DEMO_NAME_SUFFIX):
            raise DemoError(f"District {spec.slug!r} exists and is not a demo district; refusing to touch it.")
        have = _student_count(district) if district is not None else 0
        if district is not None and have and not reset:
            if spec.slug in sizes and have != n:
                raise DemoError(f"{spec.slug} already has {have} students; run with --reset to rebuild it with {n}.")
            todo.append((spec, have, district, "kept"))
        else:
            todo.append((spec, n, district, "rebuilt" if district is not None else "created"))

    results = []
    password_hash = None
    step_log = log if verbose_steps else None
    for spec, n, district, action in todo:
        started = time.monotonic()
        if action == "kept":
            results.append(DistrictResult(spec.slug, spec.name, action, {"students": n}, 0.0))
            continue
        if log:
            log(f"Building {spec.slug} with {n} students ...")
        password_hash = password_hash or make_password(DEMO_PASSWORD)
        plan = build_district(spec, n, seed)
        with transaction.atomic():
            if district is None:
                district = district_create(
                    name=spec.name, slug=spec.slug, state=spec.state, timezone_name=spec.timezone
                )
            else:
                with tenant_context(district):
                    _purge(district)
                district.name, district.state, district.timezone = spec.name, spec.state, spec.timezone
            district.address, district.phone = spec.address, spec.phone
            district.save(update_fields=["name", "state", "timezone", "address", "phone"])
            written = write_schools(plan, district, password_hash=password_hash)
        analyze_tables(step_log)
        try:
            with transaction.atomic():
                counts = write_district(plan, district, written=written, log=step_log)
            analyze_tables(step_log)
            with transaction.atomic():
                counts = finish_district(plan, district, counts=counts, log=step_log)
        except BaseException:
            # Never leave a half-built demo district behind: the bulk rows are committed.
            with transaction.atomic(), tenant_context(district):
                _purge(district)
            raise
        results.append(DistrictResult(spec.slug, spec.name, action, counts, time.monotonic() - started))
    return results
