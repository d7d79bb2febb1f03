"""Build kikan_std/specs/jumin_kiroku.json: the 住民記録 (住民基本台帳) resident export.

Sources and how far each can be trusted (see docs/specs/jumin_kiroku.md):

* Column names and order: the 122-column header of a real standard-system 住民 export published by
  芽室町 (Memuro-Town/MADO-packages, SPEC_FACTS §3.1) → item provenance ``municipal``. The town removed
  個人番号 before publishing; we put it back after 住民票コード (the other national identifier) with
  its type from the official 共通機能 item definition (031 個人番号 X(12)) → ``derived``.
* Types and lengths: the official 基本データリスト legend (§1.2) and, where the same item exists in the
  official 共通機能 item definition (business code 031, §1.3) or its API sheet (§1.5), that item's type and
  length ("derived"); otherwise our model ("modeled"). Each item's description says which.
* 必須: only what the 住民記録システム標準仕様書 第3章 1.1.6 says may not be blank for every record, plus
  the history key (1.2.1). Conditional blanks (日本人/外国人, 除票, 30条の45区分) are rule JUM001.
* Code lists: 住民種別, 住民状態, 続柄 from the town (municipal); 元号 from the town's samples 3/4/5 and the
  既存住基 年号コード 1/2 (derived); 性別 from 031 コード1 (derived); 0/1 flags and 第30条の45区分 modeled.
* Business code: the 住民基本台帳 基幹業務コード is not in our sources. "001" is modeled on the file name
  ``001_住民基本台帳_基本データリスト`` mentioned in a public slide deck (ROBON Inc., SPEC_FACTS §0).

Usage: python tools/build_jumin_kiroku.py
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "kikan_std" / "specs" / "jumin_kiroku.json"

# name | romaji | type | length | code list | obligation (R 必須, C 条件付き必須, blank 任意) | flags | type basis
# flags: P personal, U 不詳日 allowed (§2.4), lg / post / town / digits / code3 (n-digit code) / mynum / padded = format
# (padded: digits filling the 桁数, as the 031 item's official sample 123456789123456 does; only on items typed D)
# type basis: D = derived (same item in 031 item definition / API sheet), M = modeled
ITEMS = """
市区町村コード|shikuchosonkodo|X|6|||lg|M
宛名番号|atenabango|X|15||R|padded|D
個人履歴番号|kojinrirekibango|9|3||R||D
個人履歴番号_枝番号|kojinrirekibango_edabango|9|3||||M
最新フラグ|saishinfuragu|9|1|flag|R||M
改製番号|kaiseibango|9|3||||M
世帯番号|setaibango|X|15||R||M
住民種別|juminshubetsu|9|1|jumin_shubetsu|R||M
住民状態|juminjotai|9|1|jumin_jotai|R||M
住民票コード|juminhyokodo|X|11||C|P|M
個人番号|kojinbango|X|12|||P mynum|D
異動年月日|idonengappi|DATE|10|||U|M
異動年月日_不詳フラグ|idonengappi_fushofuragu|9|1|fusho|||M
異動届出年月日|idotodokedenengappi|DATE|10||||M
届出番号|todokedebango|X|10||||M
異動事由|idojiyu|X|4||||M
異動区分|idokubun|X|2||||M
通知日|tsuchibi|DATE|10||||M
記載等の種別|kisaitonoshubetsu|X|2||||M
氏名|shimei|Ｎ|100|||P|D
氏_日本人|uji_nihonjin|Ｎ|50|||P|D
名_日本人|na_nihonjin|Ｎ|50|||P|D
氏名_外国人ローマ字|shimei_gaikokujinromaji|Ｎ|100|||P|D
氏名_フリガナ|shimei_furigana|Ｎ|100|||P|D
氏_日本人_フリガナ|uji_nihonjin_furigana|Ｎ|50|||P|D
名_日本人_フリガナ|na_nihonjin_furigana|Ｎ|50|||P|D
氏名_フリガナ確認状況|shimei_furiganakakuninjokyo|9|1|kakunin|||D
性別|seibetsu|X|1|seibetsu|||D
性別表記|seibetsuhyoki|Ｎ|10|||P|M
生年月日_元号|seinengappi_gengo|9|1|gengo|||M
生年月日|seinengappi|DATE|10||R|P U|D
生年月日_不詳フラグ|seinengappi_fushofuragu|9|1|fusho|||D
続柄コード1|zokugarakodo1|X|2|zokugara|||M
続柄表記|zokugarahyoki|Ｎ|40||||M
世帯主氏名|setainushishimei|Ｎ|100|||P|M
住所_市区町村コード|jusho_shikuchosonkodo|X|6|||lg|D
住所_町字コード|jusho_choazakodo|X|7|||town|D
住所_都道府県|jusho_todofuken|Ｎ|4||||D
住所_市区郡町村名|jusho_shikugunchosonmei|Ｎ|12||R||D
住所_町字|jusho_choaza|Ｎ|120|||P|D
住所_番地号表記|jusho_banchigohyoki|Ｎ|50|||P|D
住所_方書|jusho_katagaki|Ｎ|300|||P|D
住所_郵便番号|jusho_yubinbango|X|7|||post|D
住民となった年月日|juminnonattanengappi|DATE|10||R|U|M
住民となった年月日_不詳フラグ|juminnonattanengappi_fushofuragu|9|1|fusho|||M
記載の異動年月日|kisainoidonengappi|DATE|10|||U|M
記載の異動年月日_不詳フラグ|kisainoidonengappi_fushofuragu|9|1|fusho|||M
記載の事由|kisainojiyu|X|4||||M
転入前住所_市区町村コード|tennyumaejusho_shikuchosonkodo|X|6|||lg|D
転入前住所_町字コード|tennyumaejusho_choazakodo|X|7|||town|D
転入前住所_都道府県|tennyumaejusho_todofuken|Ｎ|4||||D
転入前住所_市区郡町村名|tennyumaejusho_shikugunchosonmei|Ｎ|12||||D
転入前住所_町字|tennyumaejusho_choaza|Ｎ|300|||P|M
転入前住所_番地号表記|tennyumaejusho_banchigohyoki|Ｎ|50|||P|D
転入前住所_郵便番号|tennyumaejusho_yubinbango|X|7|||post|D
本籍|honseki|Ｎ|100|||P|M
本籍_町字|honseki_choaza|Ｎ|120|||P|M
本籍_地番号または、街区符号|honseki_chibangomatahagaikufugo|Ｎ|50|||P|M
本籍_市区町村コード|honseki_shikuchosonkodo|X|6|||lg|D
本籍_町字コード|honseki_choazakodo|X|7|||town|D
戸籍_筆頭者|koseki_hittosha|Ｎ|100|||P|M
戸籍_筆頭者_氏|koseki_hittosha_uji|Ｎ|50|||P|M
戸籍_筆頭者_名|koseki_hittosha_na|Ｎ|50|||P|M
消除の事由|shojonojiyu|X|4||||M
消除の届出年月日|shojonotodokedenengappi|DATE|10||||M
消除の異動年月日|shojonoidonengappi|DATE|10|||U|M
消除の異動年月日_不詳フラグ|shojonoidonengappi_fushofuragu|9|1|fusho|||M
住所を定めた年月日|jushoosadametanengappi|DATE|10|||U|M
住所を定めた年月日_不詳フラグ|jushoosadametanengappi_fushofuragu|9|1|fusho|||M
地区管理コード1|chikukanrikodo1|X|10||||M
記載順位|kisaijuni|9|3||||M
成年被後見人_該当有無|seinenhikokennin_gaitoumu|9|1|umu|||M
除票フラグ|johyofuragu|9|1|flag|||M
除票用データベース登録年月日|johyoyodetabesutorokunengappi|DATE|10||||M
履歴選択不可フラグ|rirekisentakufukafuragu|9|1|flag|||M
処理年月日|shorinengappi|DATE|10||||M
改製記載年月日|kaiseikisainengappi|DATE|10||||M
改製記載年月日_不詳フラグ|kaiseikisainengappi_fushofuragu|9|1|fusho|||M
選挙人名簿登録有無|senkyoninmeibotorokuumu|9|1|umu|||M
国保資格有無|kokuhoshikakuumu|9|1|umu|||M
国保資格取得年月日|kokuhoshikakushutokunengappi|DATE|10||||M
後期高齢資格有無|kokikoreishikakuumu|9|1|umu|||M
後期高齢資格取得年月日|kokikoreishikakushutokunengappi|DATE|10||||M
介護資格有無|kaigoshikakuumu|9|1|umu|||M
介護資格取得年月日|kaigoshikakushutokunengappi|DATE|10||||M
年金資格有無|nenkinshikakuumu|9|1|umu|||M
基礎年金番号|kisonenkinbango|X|10|||P digits|M
年金資格種別|nenkinshikakushubetsu|X|2||||M
年金資格取得年月日|nenkinshikakushutokunengappi|DATE|10||||M
年金資格喪失年月日|nenkinshikakusoshitsunengappi|DATE|10||||M
児童手当資格区分|jidoteateshikakukubun|X|2||||M
児童手当受給開始年月|jidoteatejukyukaishinengetsu|X|7||||M
統合宛名フラグ|togoatenafuragu|9|1|flag|||M
他業務参照不可フラグ|tagyomusanshofukafuragu|9|1|flag|||D
業務ID|gyomuid|X|3|||code3|D
削除フラグ|sakujofuragu|9|1|flag|||M
操作者ID|sosashaid|X|10||||D
操作年月日|sosanengappi|DATE|10||||D
操作時刻|sosajikoku|TIME|8||||D
転出届出年月日|tenshutsutodokedenengappi|DATE|10||||M
転出予定年月日|tenshutsuyoteinengappi|DATE|10||||M
転出年月日（確定）|tenshutsunengappi_kakutei|DATE|10||||M
転入通知年月日|tennyutsuchinengappi|DATE|10||||M
転出先住所（確定）_市区町村コード|tenshutsusakijusho_kakutei_shikuchosonkodo|X|6|||lg|D
転出先住所（確定）_都道府県|tenshutsusakijusho_kakutei_todofuken|Ｎ|4||||D
転出先住所（確定）_市区郡町村名|tenshutsusakijusho_kakutei_shikugunchosonmei|Ｎ|12||||D
転出先住所（確定）_町字|tenshutsusakijusho_kakutei_choaza|Ｎ|300|||P|M
転出先住所（確定）_番地号表記|tenshutsusakijusho_kakutei_banchigohyoki|Ｎ|50|||P|D
転出先住所（確定）_方書|tenshutsusakijusho_kakutei_katagaki|Ｎ|300|||P|D
転出先住所（確定）_郵便番号|tenshutsusakijusho_kakutei_yubinbango|X|7|||post|D
外国人住民となった年月日|gaikokujinjuminnonattanengappi|DATE|10||C|U|M
外国人住民となった年月日_不詳フラグ|gaikokujinjuminnonattanengappi_fushofuragu|9|1|fusho|||M
在留カード等番号|zairyukadotobango|X|12||C|P|M
在留カード等番号区分|zairyukadotobangokubun|X|1||||M
国籍等_国名コード|kokusekito_kokumeikodo|X|3||||D
国籍名等|kokusekimeito|Ｎ|100||||D
第30条45規定区分|dai30jo45kiteikubun|X|1|hou30jo45|C||M
住居地の届出の有無|jukyochinotodokedenoumu|9|1|umu|||M
在留資格等コード|zairyushikakutokodo|X|3||C||M
在留期間等コード_年|zairyukikantokodo_nen|9|2||||M
在留期間等コード_月|zairyukikantokodo_tsuki|9|2||||M
在留期間等コード_日|zairyukikantokodo_hi|9|3||||M
在留期間の満了の日|zairyukikannomanryonohi|DATE|10||C||M
"""

FORMATS = {"lg": "local_government_code", "post": "postal_code", "town": "town_code", "digits": "digits",
           "code3": "code_digits", "mynum": "individual_number", "padded": "padded_number"}

# Why an item is typed the way it is (shown in the docs).
BASIS = {
    "D": "型・桁数は共通機能 項目定義書（031）/ 付番API仕様の同名・同義項目による（derived）",
    "M": "型・桁数は基本データリスト凡例と標準仕様書の記述からのモデル（modeled）",
}

CONDITIONS = {
    "住民票コード": "除票を除き空欄不可（標準仕様書 1.1.6）",
    "外国人住民となった年月日": "外国人住民は空欄不可（1.1.6）",
    "在留カード等番号": "中長期在留者（除票を除く）・特別永住者は空欄不可（1.1.6）",
    "第30条45規定区分": "外国人住民は空欄不可（1.1.6 法第30条の45区分ごとの「…である旨」）",
    "在留資格等コード": "中長期在留者は空欄不可（1.1.2 在留資格）",
    "在留期間の満了の日": "中長期在留者・一時庇護許可者・仮滞在許可者は空欄不可（1.1.6 上陸期間・仮滞在期間）",
}

ALIASES = {
    "氏名_外国人ローマ字": ["氏名_外国人アルファベット", "shimei_gaikokujinarufuabetto"],
    "氏名_フリガナ": ["氏名_読み仮名", "shimei_yomigana"],
    "氏_日本人_フリガナ": ["氏_日本人_読み仮名", "uji_nihonjin_yomigana"],
    "名_日本人_フリガナ": ["名_日本人_読み仮名", "na_nihonjin_yomigana"],
}

ZOKUGARA = [("02", "世帯主"), ("11", "夫"), ("12", "妻"), ("13", "夫（未届）"), ("14", "妻（未届）"), ("20", "子"),
            ("51", "父"), ("52", "母"), ("71", "兄"), ("74", "弟"), ("81", "姉"), ("84", "妹"), ("96", "縁故者"),
            ("99", "同居人")]

CODE_LISTS = [
    {"id": "jumin_shubetsu", "name": "住民種別", "provenance": "municipal",
     "values": [("1", "日本人"), ("2", "外国人")], "note": "芽室町 MADO-packages の文書による"},
    {"id": "jumin_jotai", "name": "住民状態", "provenance": "municipal",
     "values": [("1", "住民"), ("2", "転出者"), ("3", "死亡者"), ("9", "その他消除者")],
     "note": "芽室町 MADO-packages の文書による"},
    {"id": "zokugara", "name": "続柄コード", "provenance": "municipal", "values": ZOKUGARA,
     "note": "芽室町の文書による2桁コード（同町のDBは整数で保持し 02 を 2 と出力）。子の夫・子の妻のコードは文書になく、"
             "続柄表記で「子の夫」等と表す。公式の続柄コード表は未入手"},
    {"id": "gengo", "name": "元号（年号コード）", "provenance": "derived",
     "values": [("1", "明治"), ("2", "大正"), ("3", "昭和"), ("4", "平成"), ("5", "令和")],
     "note": "芽室町サンプルの 3/4/5 と既存住基の1桁年号コード（中間標準レイアウト利活用ガイド）から"},
    {"id": "seibetsu", "name": "性別", "provenance": "derived",
     "values": [("0", "不明（未記入）"), ("1", "男"), ("2", "女")],
     "note": "共通機能 項目定義書（031）コード1 と同じ値とした"},
    {"id": "fusho", "name": "不詳フラグ", "provenance": "derived",
     "values": [("0", "不詳でない"), ("1", "不詳")],
     "note": "付番API仕様 seinengappi_fushofuragu（0/1）と芽室町の文書による"},
    {"id": "kakunin", "name": "フリガナ確認状況", "provenance": "derived",
     "values": [("0", "無"), ("1", "有")], "note": "付番API仕様 tsusho_furiganakakuninjokyo（0無/1有）による"},
    {"id": "flag", "name": "フラグ", "provenance": "modeled",
     "values": [("0", "該当しない"), ("1", "該当する")], "note": "0/1 のフラグとしてモデル化（公式コード表は未入手）"},
    {"id": "umu", "name": "有無", "provenance": "modeled",
     "values": [("0", "無"), ("1", "有")], "note": "0無/1有としてモデル化（公式コード表は未入手）"},
    {"id": "hou30jo45", "name": "第30条の45規定区分", "provenance": "modeled",
     "values": [("1", "中長期在留者"), ("2", "特別永住者"), ("3", "一時庇護許可者"), ("4", "仮滞在許可者"),
                ("5", "出生による経過滞在者"), ("6", "国籍喪失による経過滞在者")],
     "note": "区分は住基法第30条の45（標準仕様書 1.1.2）の順にモデル化した値。公式のコード値は未入手"},
]


def build() -> dict[str, object]:
    items = []
    for line in ITEMS.strip().splitlines():
        name, romaji, typ, length, code, obl, flags, basis = line.split("|")
        fl = flags.split()
        it: dict[str, object] = {
            "name": name,
            "romaji": romaji,
            "type": typ,
            "length": length,
            "code_list": code or None,
            "obligation": {"R": "必須", "C": "条件付き必須", "": "任意"}[obl],
            "condition": CONDITIONS.get(name, ""),
            "primary_key": name in ("宛名番号", "個人履歴番号"),
            "personal": "P" in fl,
            "allows_unknown_date": "U" in fl,
            "description": BASIS[basis] + ("。不詳日（暦にない日付）は _不詳フラグ が 1 のときに限り可（1.1.8）" if "U" in fl else "")
            + ("。桁数いっぱいの半角数字（先頭0埋め）は 031 の公式サンプル値 123456789123456 による（derived、FLD023 は警告）"
               if "padded" in fl else ""),
            # Names come from the town's export; 個人番号 is the one item we added back.
            "provenance": "derived" if name == "個人番号" else "municipal",
        }
        fmt = [FORMATS[f] for f in fl if f in FORMATS]
        if fmt:
            it["format"] = fmt[0]
        if name in ALIASES:
            it["aliases"] = ALIASES[name]
        items.append(it)
    if len(items) != 123:
        raise SystemExit(f"expected 122 export columns + 個人番号, got {len(items)}")
    lists = [
        {"id": c["id"], "name": c["name"], "provenance": c["provenance"], "note": c["note"],
         "values": [{"value": v, "meaning": m} for v, m in c["values"]]}  # type: ignore[union-attr]
        for c in CODE_LISTS
    ]
    return {
        "id": "jumin_kiroku",
        "business_code": "001",
        "title": "住民記録システム 住民（住民基本台帳）エクスポート",
        "edition": "第1.0版",
        "published": "2020-09",
        "applies_from": None,  # 施行日 not stated in the extract at hand
        "source": "住民記録システム標準仕様書【第1.0版】第3章（AkihiraYOSHIMOTO/jyuki-stnd による抜粋）; "
                  "列名: 芽室町 Memuro-Town/MADO-packages の標準準拠システム 住民エクスポート（122列）",
        "provenance": "modeled",
        "groups": [{
            "name": "住民",
            "romaji": "jumin",
            "items": items,
            "primary_key": ["宛名番号", "個人履歴番号"],
        }],
        "code_lists": lists,
        "notes": [
            "業務コード 001 はモデル値: 公開資料（ROBON社スライド）にあるファイル名「001_住民基本台帳_基本データリスト」から。"
            " / business code 001 is modeled on a file name in a public slide deck; the official code is not at hand.",
            "列名・列順は芽室町が公開した標準準拠システムの住民エクスポート（122列、municipal）。同町が公開前に削除した個人番号を"
            "住民票コードの後に加えた（derived）。 / Column names and order are a real municipality's export; 個人番号 re-added.",
            "型・桁数は基本データリスト凡例（official）と共通機能 031 の同名項目（derived）に基づくモデル。各項目の説明に根拠を記す。"
            " / Types and lengths are modeled; each item's description says on what.",
            "1.1.6 の空欄不可のうち全レコード共通のもの（宛名番号・世帯番号・生年月日・住民となった年月日・住所）は必須、"
            "日本人/外国人・除票・法第30条の45区分で変わるものは規則 JUM001。 / Blanks that depend on the record are rule JUM001.",
            "主キーは（宛名番号, 個人履歴番号）: 標準仕様書 1.2.1 の履歴モデル（宛名番号 + 履歴番号）。個人履歴番号_枝番号の意味は未確認。"
            " / Key (宛名番号, 個人履歴番号) per 1.2.1; the meaning of 個人履歴番号_枝番号 is not confirmed.",
        ],
    }


def main() -> None:
    OUT.write_text(json.dumps(build(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
