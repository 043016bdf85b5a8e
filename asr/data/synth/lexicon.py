"""Hand-written word lists: the grammatical core the sentence templates are built on.

The broad open classes (thousands of nouns, verbs, adjectives) come from wordfreq in
`asr.data.synth.wordlist`; these short lists supply what a suffix heuristic cannot find:
function words, irregular verbs, everyday nouns and adjectives, people's names.
"""

from __future__ import annotations


def _pairs(text: str) -> list[tuple[str, str]]:
    """Parse 'go:went see:saw' into [('go', 'went'), ('see', 'saw')]."""
    return [tuple(item.split(":")) for item in text.split()]  # type: ignore[misc]


SUBJECTS = "i you he she we they".split()
OBJECTS = "me you him her us them".split()
POSSESSIVES = "my your his her our their".split()
SINGULAR_DETERMINERS = "the a the the this that every each one another no my your his her our their".split()
PLURAL_DETERMINERS = "the the these those some many few several all most our their my your his her".split()
PREPOSITIONS = ("in on near under behind beside across through after before without with over "
                "around into from toward along beyond inside outside above below against beneath "
                "past during among between").split()
# Subordinating conjunctions join two clauses in the compound templates.
CONJUNCTIONS = "because while although when before after until unless since and but so".split()
MODALS = "can could will would should must might may".split()
NEGATED = "didn't can't won't couldn't wouldn't shouldn't don't".split()
INTENSIFIERS = "very quite rather really so too fairly pretty extremely almost".split()
TIME_PHRASES = [
    "yesterday", "today", "tomorrow", "tonight", "last night", "last week", "next year",
    "this morning", "every evening", "at noon", "at midnight", "in the spring",
    "in the autumn", "during the winter", "all summer", "early", "later", "soon",
    "once again", "a long time ago", "right now",
]
WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
MONTHS = ("january february march april may june july august september october "
          "november december").split()

# Irregular verbs: (base, past). Regular ones are found in the wordfreq list.
IRREGULAR_VERBS = _pairs(
    "be:was begin:began bend:bent bite:bit blow:blew break:broke bring:brought build:built "
    "buy:bought catch:caught choose:chose come:came cut:cut dig:dug do:did draw:drew "
    "drink:drank drive:drove eat:ate fall:fell feed:fed feel:felt fight:fought find:found "
    "fly:flew forget:forgot forgive:forgave freeze:froze get:got give:gave go:went grow:grew "
    "hang:hung have:had hear:heard hide:hid hit:hit hold:held hurt:hurt keep:kept know:knew "
    "lay:laid lead:led leave:left lend:lent let:let lose:lost make:made mean:meant meet:met "
    "pay:paid put:put quit:quit read:read ride:rode ring:rang rise:rose run:ran say:said "
    "see:saw seek:sought sell:sold send:sent set:set shake:shook shine:shone shoot:shot "
    "shut:shut sing:sang sink:sank sit:sat sleep:slept slide:slid speak:spoke spend:spent "
    "spin:spun split:split spread:spread stand:stood steal:stole stick:stuck sting:stung "
    "strike:struck swear:swore sweep:swept swim:swam swing:swung take:took teach:taught "
    "tear:tore tell:told think:thought throw:threw understand:understood wake:woke "
    "wear:wore weep:wept win:won wind:wound write:wrote"
)
# Everyday nouns with their plurals, irregular ones included.
CORE_NOUNS = _pairs(
    "man:men woman:women child:children person:people foot:feet tooth:teeth mouse:mice "
    "goose:geese knife:knives leaf:leaves wife:wives wolf:wolves shelf:shelves life:lives "
    "city:cities story:stories baby:babies country:countries party:parties family:families "
    "box:boxes church:churches glass:glasses bus:buses dish:dishes watch:watches "
    "house:houses dog:dogs cat:cats horse:horses bird:birds fish:fish sheep:sheep "
    "river:rivers mountain:mountains garden:gardens window:windows door:doors "
    "letter:letters teacher:teachers doctor:doctors farmer:farmers kitchen:kitchens "
    "village:villages island:islands forest:forests bridge:bridges candle:candles "
    "blanket:blankets pocket:pockets bottle:bottles basket:baskets engine:engines"
)
CORE_ADJECTIVES = (
    "good bad big small old new young long short tall red blue green yellow white black "
    "brown bright dark cold warm hot cool quiet loud happy sad strange simple heavy light "
    "empty full clean dirty soft hard rough smooth sharp thin thick wide narrow deep "
    "shallow fresh rich poor proud brave calm angry busy lazy gentle clever foolish "
    "honest kind cruel wild tame sweet bitter sour dry wet early late quick slow ancient "
    "modern famous hidden broken golden silver wooden tiny huge giant strong weak"
).split()
CORE_ADVERBS = (
    "quickly slowly never always often rarely almost nearly already suddenly quietly "
    "carefully gently finally together alone again still soon here there everywhere "
    "somewhere outside upstairs downstairs home away back"
).split()

# About a hundred names, spread over origins so the letter-to-sound rules get variety.
FIRST_NAMES = (
    "james john robert michael william david richard joseph thomas charles daniel matthew "
    "anthony mark paul steven andrew kevin brian george edward ronald timothy jason jeffrey "
    "ryan jacob gary nicholas eric jonathan stephen larry justin scott frank benjamin "
    "samuel peter henry oliver arthur oscar victor martin hugo "
    "mary patricia jennifer linda elizabeth barbara susan jessica sarah karen nancy lisa "
    "betty margaret sandra ashley emily donna michelle carol amanda melissa deborah "
    "laura rebecca sharon cynthia kathleen amy angela helen anna emma olivia sophia grace "
    "alice rose clara julia lucy maria nina rachel ruth"
).split()
SURNAMES = (
    "smith johnson williams brown jones miller davis wilson anderson taylor thomas moore "
    "martin jackson thompson white harris clark lewis robinson walker young allen king "
    "wright scott hill green adams baker nelson carter mitchell roberts turner phillips "
    "campbell parker evans edwards collins stewart morris murphy cook rogers morgan cooper "
    "peterson bailey reed kelly howard cox ward richardson watson brooks wood james bennett "
    "gray hughes price sanders myers long ross foster"
).split()

# The only one- and two-letter words we count as words; wordfreq's others are
# abbreviations and fragments ('uk', 'mc', 's').
SHORT_WORDS = frozenset(
    "a i am an as at be by do go he if in is it me my no of oh on or so to up us we".split())

# Words wordfreq ranks high that we never want read aloud in a training corpus.
# Matched as whole words or as the start of a word (so 'fucking' goes with 'fuck').
BLOCKED_PREFIXES = (
    "fuck shit cunt bitch nigg fag porn slut whore dildo horny orgasm erotic masturb "
    "penis vagina boob tits pussy cock dick rape rapist asshole bastard goddamn damn "
    "wank twat milf hentai nazi xxx"
).split()
BLOCKED_WORDS = set("ass sex sexy sexual nude naked anal cum piss crap hell negro nazi rape rapist "
                    "suicide".split())
