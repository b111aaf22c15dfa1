"""Word lists the local engine reasons with. Small on purpose: every entry is a real cue.

Lexicons are written as space-separated strings for readability; each becomes a
frozenset. Tone, genre and theme lexicons are scored by hits per word of text, so
a long document does not win by length alone.
"""

from __future__ import annotations

from transformations.ingest.text import word_set

STOPWORDS = word_set(
    """a about above across after again against all almost along already also although always
    am among an and another any anyone anything are around as at away back be became because
    become been before being below beside between both but by came can cannot could did do does
    doing done down during each either else enough even ever every everything few for from
    further get gets getting go goes going gone got had has have having he her here hers herself
    him himself his how however i if in into is it its itself just know knew least less let like
    made make makes many may me might mine more most much must my myself near neither never
    next no nobody none nor not nothing now of off often on once one only onto or other others
    our ours ourselves out over own per perhaps quite rather really said same say says see seen
    seem seems shall she should since so some someone something sometimes still such than that
    the their theirs them themselves then there these they thing things this those though
    through thus till to too toward towards under until up upon us very was way we well went
    were what whatever when where whether which while who whom whose why will with within
    without would yes yet you your yours yourself yourselves ll ve re don didn doesn isn wasn
    aren weren won wouldn couldn shouldn can't it's i'm i'd i'll i've you're you've that's
    there's what's he's she's let's don't didn't doesn't isn't wasn't won't wouldn't couldn't
    okay oh yeah hey uh um mm hmm right look looks looking looked want wants tell told asks
    asked back takes take took come comes two three four five six seven eight nine ten first
    last again around ever something anything everyone someone int ext cont'd contd v.o o.s
    day night morning later continuous fade cut thanks thank please sorry hello goodbye bye""",
)

HONORIFICS = word_set(
    "mr mrs ms miss mx dr doctor prof professor sir lady lord captain capt lt aunt uncle madam "
    "father sister brother detective officer agent judge"
)
# Words that make a name a role ("OLD MAN", "BARISTA #2"): its key is the whole name.
ROLE_WORDS = word_set(
    """man woman men women boy girl kid child baby waiter waitress barista customer customers
    officer guard driver voice narrator host announcer nurse doctor cop stranger old young
    little big tall short first second third speaker interviewer interviewee guest caller
    reporter clerk bartender manager receptionist passenger crowd everyone all group student
    teacher soldier priest"""
)
YOUTH_AGE_PREFIXES = word_set("young old older younger adult little teen teenage senior")
CALENDAR_WORDS = word_set(
    """monday tuesday wednesday thursday friday saturday sunday january february march april
    may june july august september october november december today tomorrow yesterday christmas
    easter spring summer autumn winter"""
)
SPEECH_VERBS = word_set(
    """said says asked asks replied replies whispered whispers shouted shouts called calls
    answered answers muttered mutters cried cries added adds told tells yelled yells murmured
    murmurs snapped snaps sighed sighs laughed laughs began continued insisted admitted agreed
    explained repeated demanded wondered breathed hissed pleaded offered"""
)
PRONOUNS_FIRST = word_set("i me my mine myself we us our ours ourselves")
PRONOUNS_SECOND = word_set("you your yours yourself yourselves")
PRONOUNS_THIRD = word_set(
    "he him his himself she her hers herself they them their theirs themselves"
)
SUBJECT_PRONOUNS = word_set("he she it they i we")
PAST_VERBS = word_set(
    """was were had did said went came saw took made knew thought told felt left got gave found
    stood sat ran began kept held brought heard meant met paid put read set spoke spent stayed
    understood wrote drove fell grew hung lay led lost rang rose sang slept smiled thought threw
    turned waited walked wanted looked asked"""
)
PRESENT_VERBS = word_set(
    """is are has does says goes comes sees takes makes knows thinks tells feels leaves gets
    gives finds stands sits runs begins keeps holds brings hears means meets pays puts reads
    sets speaks spends stays writes drives falls grows hangs lies leads loses rings rises sings
    sleeps smiles throws turns waits walks wants looks asks"""
)
# Words that end in "-ed" or "-s" without being verbs in a tense.
NOT_TENSE_CUES = word_set("bed red need seed feed speed hundred shed wed sled always perhaps")
CONFESSION_MARKERS = (
    "i don't",
    "i never",
    "i keep",
    "i can't",
    "i wish",
    "i'm afraid",
    "i'm sorry",
    "i used to",
    "i was going to",
    "don't tell",
)

TONES: dict[str, frozenset[str]] = {
    "tense": word_set(
        """suddenly run ran running scream screams shout gun knife blood panic fear afraid
        danger chase trapped alarm threat sirens urgent heartbeat breath slam slams crash
        silence shaking trembling deadline hurry"""
    ),
    "warm": word_set(
        """smile smiles smiled laugh laughs laughed warm gentle kind kindly hug tea coffee home
        friend friends together soft softly welcome thanks thank cosy cozy comfort"""
    ),
    "melancholic": word_set(
        """alone lonely rain grey gray empty miss missed loss lost gone grief tears cried cry
        died death funeral stopped faded old memory memories remember goodbye late quiet pale"""
    ),
    "hopeful": word_set(
        """hope hopes hoping light sun sunrise dawn morning new begin beginning again promise
        future tomorrow open finally chance better believe"""
    ),
    "playful": word_set(
        """joke jokes grin grins grinned tease teases wink winks silly giggle giggles game
        games dance dancing ridiculous funny prank laughs"""
    ),
    "dark": word_set(
        """dark darkness shadow shadows dead death kill killed murder corpse grave blood cold
        cruel evil rot poison bones nightmare"""
    ),
    "romantic": word_set(
        """love loved lover kiss kissed heart hearts darling beloved touch touched waiting wait
        waited eyes together dear flowers date"""
    ),
    "mysterious": word_set(
        """secret secrets strange stranger hidden hide mystery unknown note letter clue clues
        whisper whispers locked key vanished disappeared inside behind"""
    ),
    "nostalgic": word_set(
        """remember remembered years ago childhood mother father old photograph photo letter
        used always once faded"""
    ),
    "wry": word_set(
        """anyway apparently supposedly obviously ironic sure whatever fine
        perfect nothing"""
    ),
}

GENRES: dict[str, frozenset[str]] = {
    "romance": word_set(
        """love loved lover kiss kissed heart date dating wedding marry married romance
        together flirt flowers goodnight"""
    ),
    "mystery": word_set(
        """detective clue clues mystery secret suspect missing vanished disappeared evidence
        investigate investigation inspector case truth note"""
    ),
    "thriller": word_set(
        """chase gun escape danger threat kidnap hostage bomb spy agent run running deadline
        conspiracy trap"""
    ),
    "crime": word_set(
        """police cop robbery heist murder killer gang drugs prison arrest stolen steal
        criminal"""
    ),
    "horror": word_set(
        """blood scream screams monster ghost haunted demon corpse nightmare terror dead
        creature grave"""
    ),
    "fantasy": word_set(
        """magic wizard witch dragon kingdom spell sword queen king prince princess realm
        enchanted curse quest"""
    ),
    "science fiction": word_set(
        """ship planet space station robot android alien galaxy orbit future laser colony
        signal starship"""
    ),
    "comedy": word_set(
        """joke jokes funny laugh laughs ridiculous embarrassing awkward silly prank grin
        hilarious"""
    ),
    "drama": word_set(
        """mother father husband wife family daughter son sister brother died grief memory
        years home work job hospital funeral life"""
    ),
    "nonfiction": word_set(
        """research study data percent report company market policy interview episode podcast
        guest host science evidence history government economy"""
    ),
}

THEMES: dict[str, frozenset[str]] = {
    "time": word_set(
        "time clock clocks minutes minute hours hour late early watch watches wait waited "
        "waiting years seconds fast slow schedule"
    ),
    "missed chances": word_set("missed miss almost nearly late trying again chance waited"),
    "memory": word_set("memory memories remember remembered forgot forget photo letter past"),
    "family": word_set("mother father mum mom dad family daughter son sister brother parents"),
    "love": word_set("love loved heart kiss together darling dear"),
    "loss": word_set("loss lost died death funeral grave grief gone stopped"),
    "home": word_set("home house flat apartment room kitchen street neighbour neighbor"),
    "work": word_set("work job shop counter boss customers office repair business"),
    "friendship": word_set("friend friends friendship together trust loyal"),
    "secrets": word_set("secret secrets lie lies hidden hide truth note"),
    "freedom": word_set("free freedom escape cage prison leave"),
    "power": word_set("power king queen control rule throne command"),
    "survival": word_set("survive survival hunger storm wound alive escape"),
    "change": word_set("change changed new different begin again"),
}

PALETTES = {
    "tense": "steel blue, sodium orange and deep shadow",
    "warm": "honey amber, cream and terracotta",
    "melancholic": "slate blue, rain grey and muted ochre",
    "hopeful": "soft gold, pale sky blue and fresh green",
    "playful": "coral, mint and sunny yellow",
    "dark": "charcoal, oxblood and cold teal",
    "romantic": "dusky rose, warm gold and violet",
    "mysterious": "ink blue, moss green and candle gold",
    "nostalgic": "sepia, faded teal and polished brass",
    "wry": "warm grey, mustard and brick red",
    "understated": "natural neutrals with one warm accent",
}

IMAGE_STYLES = {
    "romance": "painterly cinematic illustration, soft film grain, shallow depth of field",
    "mystery": "noir-inspired illustration, hard light and long shadows",
    "crime": "noir-inspired illustration, hard light and long shadows",
    "thriller": "high-contrast cinematic illustration, dramatic angles",
    "horror": "dark ink-wash illustration, heavy vignette",
    "fantasy": "storybook gouache illustration, rich detail",
    "science fiction": "clean concept-art illustration, cool rim light",
    "comedy": "bright flat illustration, expressive shapes",
    "nonfiction": "editorial illustration, clean shapes and clear light",
    "drama": "cinematic painterly illustration, natural light, muted film grain",
}

# Places. A capitalised phrase ending in one of these nouns names a place by itself
# ("Saltmarsh Lane", "The Crown Hotel", "Blackwater Ford"); stage 0's screenplay
# PLACE_WORDS are added where the lists are used.
PLACE_NOUNS = word_set(
    """square hotel inn pub tavern tower castle river lake mountain mountains palace museum
    cathedral chapel abbey priory college university bay island isle village town city
    manor farm farmhouse gardens garden woods wood forest hill hills valley vale coast port
    airport cemetery churchyard prison temple court lane road street avenue close crescent
    drive way row terrace place parade quay wharf dock docks harbour harbor pier jetty marina
    bridge ford point head headland ness cliff cliffs path trail moor heath common green park
    market allotments lighthouse mill works yard field fields meadow orchard shore beach
    sands station terminus depot ward hospital clinic school academy library theatre theater
    cinema hall chambers house cottage lodge hut barn estate ruins rocks narrows strait
    sound firth loch glen fell pass gate gates creek canyon desert plain plains springs
    falls well wells cross market-place esplanade promenade arcade mall centre center
    office bakery church kirk manse vicarage rectory monastery convent fort camp base
    observatory embassy flats apartments mansions towers light"""
)
# First words that make a capitalised phrase a place ("Port Kells", "Rua das Flores").
PLACE_PREFIXES = word_set(
    """port mount mt lake fort cape isle glen loch saint st new north south east west upper
    lower great little rua calle via avenida plaza piazza cerro monte san santa sao rue
    bad ben strath kirk"""
)
# Organisations and institutions: "Wren Maritime", "the Royal Geographical Society".
ORG_WORDS = word_set(
    """company co ltd limited inc plc llc corp corporation council society association
    committee maritime holdings bank party navy admiralty ministry department police
    coastguard group trust foundation institute agency government parliament board times
    news gazette herald press radio tv television series episode show podcast club union
    brothers sons partners federation league authority commission service services"""
)
# Too broad to be where a scene happens, or not places at all.
BROAD_PLACES = word_set(
    """africa europe asia america americas antarctica oceania world earth heaven hell
    internet"""
)
HOLIDAY_WORDS = word_set("eve midwinter midsummer christmas easter new-year hogmanay day night")
