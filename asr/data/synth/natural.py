"""Everyday sentences written by hand for this project, not by the templates.

The test set comes from the same templates and word list as the training text, so it cannot show
how a model copes with English outside them: other function words ('it', 'has', 'been', 'up'),
common words past the word list's cutoff ('walked', 'rain', 'milk') and other word orders. The
`test-natural` subset reads these sentences with the test voices, so its error rate against
test's, same voices, measures exactly that gap.
"""

from __future__ import annotations

NATURAL_SENTENCES: tuple[str, ...] = (
    "the children played in the garden until it was dark",
    "please close the window before you leave the house",
    "my brother bought a new car last summer",
    "we should finish this work before the end of the week",
    "the train to the city leaves at half past nine",
    "she told me that the meeting had been cancelled",
    "there is a small shop at the corner of our street",
    "he forgot his keys on the kitchen table again",
    "the price of bread has gone up this year",
    "they walked slowly along the beach in the evening",
    "can you help me carry these boxes upstairs",
    "the teacher asked the students to read the first chapter",
    "our neighbours have a big black dog",
    "i think it will rain later this afternoon",
    "the doctor said that i should rest for a few days",
    "we watched an old film on television last night",
    "the river was too cold for swimming",
    "he has been working at the hospital for ten years",
    "the letter arrived three days after it was sent",
    "she wants to learn how to play the piano",
    "the road was closed because of the snow",
    "i would like a cup of tea with milk please",
    "the company opened a new office in the north",
    "my grandmother tells wonderful stories about her childhood",
    "the plane landed safely despite the strong wind",
    "they are building a new school near the station",
    "do you know where i can buy fresh fish",
    "the museum is free for children on sundays",
    "he wrote his name at the top of the page",
    "we need more chairs for the party tomorrow",
    "it took us an hour to find a place to park",
    "the baby was sleeping so we spoke quietly",
    "turn left at the bridge and follow the signs",
    "nobody knew why the lights went out",
    "she keeps her old letters in a wooden box",
    "the soup is too hot to eat right now",
    "our flight was delayed by two hours",
    "he picked up the phone and called his sister",
    "the farmer sold apples and eggs at the market",
    "if you are tired you can sit down here",
)
