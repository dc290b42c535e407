/**
 * Common passwords refused whatever their length: entries of eight characters or more (shorter
 * ones fail the minimum length anyway) taken from SecLists' `Passwords/Common-Credentials/
 * 10k-most-common.txt` (https://github.com/danielmiessler/SecLists, MIT licence), itself from
 * Mark Burnett's ten million passwords release (public domain). Bundled so the check needs no
 * network at run time; compared in lower case. NIST SP 800-63B §3.1.1.2 asks for exactly this
 * kind of blocklist instead of composition rules.
 */
const LIST = `
password 12345678 baseball football jennifer superman trustno1 michelle sunshine 123456789 starwars
computer corvette princess iloveyou maverick samantha steelers whatever hardcore internet mercedes
bigdaddy midnight 11111111 marlboro victoria butthead startrek liverpoo danielle redskins mountain
xxxxxxxx 88888888 nicholas metallic qwertyui dolphins cocacola rush2112 jonathan scorpion asdfasdf
godzilla williams lifehack platinum garfield 69696969 jordan23 bullshit airborne elephant explorer
christin december benjamin dickhead brooklyn redwings michigan 87654321 guinness snowball alexande
passw0rd lasvegas slipknot kimberly 1q2w3e4r carolina colorado creative bollocks darkness asdfghjk
poohbear nintendo november password1 lacrosse paradise maryjane spitfire anderson cherokee drowssap
marshall 1qaz2wsx caroline franklin snickers courtney westside patricia semperfi freeuser babygirl
champion softball security wildcats veronica abcd1234 wolverin remember freepass pearljam peekaboo
budlight electric stargate brittany swimming scotland swordfis blink182 virginia passport aaaaaaaa
rolltide bulldogs liverpool chevelle mitchell spiderma patriots cardinal kawasaki ncc1701d elizabet
wolfpack lawrence american stingray simpsons qwertyuiop basketball 1234567890 12341234 q1w2e3r4
metallica 12121212 123123123 qwerty123 password2 1q2w3e4r5t zaq12wsx qazwsxedc iloveyou1 11223344
22222222 66666666 99999999 77777777 55555555 33333333 44444444 abcdefgh asdfghjkl 13131313 spiderman
chocolate alexander christopher elizabeth christina stephanie washington california cleveland
motherfucker 1qazxsw2 qwer1234 pass1234 test1234 asdf1234 12344321 12qwaszx 1a2b3c4d a1b2c3d4
1234abcd 98765432 987654321 31415926 19691969 19841984 20012001 20002000 25802580 24682468 11235813
12345679 14725836 13576479 14789632 01234567 09876543 zaq1xsw2 qazwsxed
iloveyou2 welcome1 letmein1 letmein2 letmein22 football1 baseball1
michael1 jessica1 charlie1 jordan1 thomas1 hunter1 monkey1 shadow1 master1 dragon1 mustang1
`;

export const COMMON_PASSWORDS: ReadonlySet<string> = new Set(LIST.split(/\s+/).filter((p) => p.length >= 8));
